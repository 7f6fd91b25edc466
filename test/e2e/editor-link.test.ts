/**
 * The reviewer's editor link in a real VS Code (code-server) driven through Chromium: the link
 * `slipway share` prints, opened through the workbench's own URL handling ("Developer: Open URL",
 * as the operating system hands a link to the editor), reaches Slipway's UriHandler, which opens
 * that environment's dashboard and pipeline view; a damaged link is refused with a message that
 * says why. code-server answers to its own scheme (its product's `urlProtocol`, `code-oss`), so
 * the link is the one for that editor: `editorLink(target, scheme)`, as `share` prints for VS Code.
 * Fails (never skips) without the toolchain.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { editorLink } from '../../environments/share/editor-link';
import { RUN } from '../integration/helpers';
import { editorToolchain, runCommand, screenshot, type CodeServer, type Workbench } from './harness';
import { notification, openEditor, shopRepo, webviewFrame } from './workbench';

const BRANCH = `review/link-${RUN}`;

/** The scheme this code-server's workbench answers to (product.json `urlProtocol`). */
function urlProtocol(): string {
  // code-server's entry is <package>/out/node/entry.js; VS Code's product.json is <package>/lib/vscode.
  const product = join(dirname(editorToolchain().codeServer), '..', '..', 'lib', 'vscode', 'product.json');
  const scheme = (JSON.parse(readFileSync(product, 'utf8')) as { urlProtocol?: string }).urlProtocol;
  assert.ok(scheme, `${product} names no urlProtocol`);
  return scheme;
}

/** Opens a link the way the editor receives one from outside: "Developer: Open URL". */
async function openUrl(page: Page, link: string): Promise<void> {
  await runCommand(page, 'Developer: Open URL');
  await page.locator('.quick-input-widget .quick-input-box input').fill(link);
  await page.keyboard.press('Enter');
  // The first link for an extension asks whether the extension may open it.
  const allow = page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Open$/ });
  if (
    await allow.waitFor({ state: 'visible', timeout: 5_000 }).then(
      () => true,
      () => false,
    )
  )
    await allow.click();
}

describe("VS Code extension end to end: a reviewer's editor link (code-server)", function () {
  this.timeout(6 * 60 * 1000);

  let scratch: string;
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    editorToolchain(); // names what is missing and how to get it
    scratch = mkdtempSync(join(tmpdir(), 'slipway-link-e2e-'));
    const folder = shopRepo(join(scratch, 'shop'));
    ({ server, workbench } = await openEditor(scratch, folder, join(scratch, 'home')));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && workbench) await screenshot(workbench.page, 'editor-link-failed');
  });

  after(async function () {
    await workbench?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed' && server)
      console.error(`--- code-server output ---\n${server.logs().slice(-8000)}`);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("opens the environment's dashboard and pipeline view from the link share prints", async () => {
    const { page } = workbench!;
    const link = editorLink({ project: 'shop', branch: BRANCH }, urlProtocol());
    assert.match(link, /\/\/slipway\.slipway\/open\?project=shop&branch=/);
    await openUrl(page, link);

    // Both panels open; the pipeline view, opened last, is in front (a hidden webview loads when shown).
    for (const title of [`Environment: ${BRANCH}`, `Pipeline: ${BRANCH}`])
      await page
        .locator('.tabs-container .tab', { hasText: title })
        .first()
        .waitFor({ state: 'visible', timeout: 90_000 });
    const pipeline = await webviewFrame(page, 'pipeline', 60_000);
    await pipeline.getByText(BRANCH).first().waitFor({ state: 'visible', timeout: 30_000 });
    await pipeline.getByRole('button', { name: 'Approve' }).first().waitFor({ state: 'visible', timeout: 30_000 });
    await page
      .locator('.tabs-container .tab', { hasText: `Environment: ${BRANCH}` })
      .first()
      .click();
    const dashboard = await webviewFrame(page, 'dashboard', 60_000);
    await dashboard.getByText(BRANCH).first().waitFor({ state: 'visible', timeout: 30_000 });
  });

  it('refuses a link without a branch, saying why', async () => {
    const { page } = workbench!;
    const link = editorLink({ project: 'shop', branch: 'x' }, urlProtocol()).replace(/&branch=[^&]*/, '');
    await openUrl(page, link);
    await notification(page, /Slipway cannot open this link: .*branch/).waitFor({ state: 'visible', timeout: 60_000 });
  });
});
