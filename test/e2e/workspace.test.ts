/**
 * The extension end to end in the workspace states it must react to, in a real VS Code
 * (code-server) driven through Chromium, against the real Docker Engine:
 *
 * - an untrusted workspace: "Preview Current Branch" refuses with a message that says why,
 *   makes no Docker object, and the Environments view shows the restricted welcome text;
 * - a trusted workspace with `slipway.autoPreview`: checking out a new branch previews it on
 *   its own, and deleting that branch offers its environment for teardown, which removes it.
 *
 * Fails (never skips) without the toolchain or the engines.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { RUN, forceDown, git, requireEngines } from '../integration/helpers';
import {
  editorToolchain,
  installExtension,
  openWorkbench,
  runCommand,
  screenshot,
  startCodeServer,
  type CodeServer,
  type Workbench,
} from './harness';
import { envRow, leftOnEngine, notification, packageVsix, shopRepo } from './workbench';

const UNTRUSTED_BRANCH = `e2e/untrusted-${RUN}`;
const AUTO_BRANCH = `e2e/auto-${RUN}`;
const NOTHING = { containers: 0, networks: 0, volumes: 0, images: 0 };

/** The Slipway log channel's and the extension host's logs under a code-server user-data folder (for a failure's report). */
function slipwayLogs(userDataDir: string): string {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return '';
  return readdirSync(logs, { recursive: true, encoding: 'utf8' })
    .filter((f) => /slipway|exthost\.log$|remoteexthost\.log$|git\.log$/i.test(f) && f.endsWith('.log'))
    .map((f) => `--- ${f} ---\n${readFileSync(join(logs, f), 'utf8').slice(-6000)}`)
    .join('\n');
}

async function openSlipwayView(page: Page): Promise<void> {
  await page.locator('.activitybar .action-item a[aria-label^="Slipway"]').click({ timeout: 60_000 });
}

/**
 * The harness starts code-server with `--disable-workspace-trust`, which code-server hands to
 * the workbench as `"enableWorkspaceTrust":false` in the page's configuration (a data attribute
 * of a meta element); that beats the `security.workspace.trust.enabled` setting. This reloads
 * the workbench with that flag turned back on before the workbench reads it, so the setting
 * (and whether the folder is trusted) decide again. A script string, not a function: the test
 * runner's transpiler would add helpers to a function that do not exist in the page.
 */
async function enableWorkspaceTrust(page: Page, server: CodeServer): Promise<void> {
  await page.addInitScript({
    content: `new MutationObserver((records, observer) => {
      const meta = document.getElementById('vscode-workbench-web-configuration');
      const settings = meta && meta.getAttribute('data-settings');
      if (!settings) return;
      observer.disconnect();
      meta.setAttribute('data-settings', settings.replace('"enableWorkspaceTrust":false', '"enableWorkspaceTrust":true'));
    }).observe(document, { childList: true, subtree: true });`,
  });
  await page.goto(server.url, { waitUntil: 'domcontentloaded', timeout: 90_000 });
  await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
  const settings = (await page.locator('#vscode-workbench-web-configuration').getAttribute('data-settings')) ?? '';
  assert.match(
    settings,
    /"enableWorkspaceTrust":true/,
    'the workbench configuration still disables workspace trust (did code-server change how it passes it?)',
  );
}

describe('VS Code extension end to end: workspace trust and branch awareness (code-server)', function () {
  this.timeout(6 * 60 * 1000);

  let scratch: string;
  let home: string;
  let extensionsDir: string;
  const used: { folder: string; branch: string }[] = [];
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  let userDataDir = '';

  /** Starts code-server on `folder` with the extension installed and opens it in Chromium. */
  async function open(name: string, folder: string, settings: Record<string, unknown>): Promise<Page> {
    userDataDir = join(scratch, `user-data-${name}`);
    server = await startCodeServer({ folder, extensionsDir, userDataDir, settings, env: { SLIPWAY_HOME: home } });
    workbench = await openWorkbench(server.url);
    return workbench.page;
  }

  async function close(): Promise<void> {
    await workbench?.close().catch(() => undefined);
    workbench = undefined;
    await server?.stop().catch(() => undefined);
    server = undefined;
  }

  before(async function () {
    editorToolchain(); // names what is missing and how to get it
    await requireEngines();
    scratch = mkdtempSync(join(tmpdir(), 'slipway-ws-e2e-'));
    home = join(scratch, 'home');
    extensionsDir = join(scratch, 'extensions');
    await installExtension(packageVsix(), extensionsDir, join(scratch, 'user-data-install'));
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') {
      if (workbench)
        await screenshot(workbench.page, `extension-workspace-failed-${this.currentTest.title.slice(0, 40)}`).catch(
          () => undefined,
        );
      if (server)
        console.error(`--- code-server output ---\n${server.logs().slice(-8000)}\n${slipwayLogs(userDataDir)}`);
    }
    await close();
  });

  after(async function () {
    await close();
    // Whatever the tests reached, nothing stays on the engine.
    await Promise.all(
      used.map(({ folder, branch }) => forceDown(join(folder, 'slipway.yaml'), branch, home).catch(() => undefined)),
    );
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses to preview in an untrusted workspace, says why, and makes nothing', async function () {
    const folder = shopRepo(join(scratch, 'untrusted'));
    git(['checkout', '-qb', UNTRUSTED_BRANCH], folder);
    used.push({ folder, branch: UNTRUSTED_BRANCH });
    const page = await open('untrusted', folder, { 'security.workspace.trust.enabled': true });
    await enableWorkspaceTrust(page, server!);

    // If VS Code asks whether to trust the folder, keep it restricted (code-server 4.139 opens an
    // unknown folder in Restricted Mode without asking).
    const distrust = page.locator('.monaco-dialog-box .monaco-button', { hasText: /No, I don.t trust the authors/ });
    const restricted = page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first();
    await distrust.or(restricted).first().waitFor({ state: 'visible', timeout: 60_000 });
    if (await distrust.isVisible()) await distrust.click();
    await restricted.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(
      await page.locator('.monaco-dialog-box').count(),
      0,
      'a dialog is still open in the untrusted workspace',
    );

    // The view explains why there is nothing to do here.
    await openSlipwayView(page);
    await page
      .locator('.pane .welcome-view-content', { hasText: 'need a trusted workspace' })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });

    await runCommand(page, 'Slipway: Preview Current Branch', 60_000);
    const refusal = notification(page, 'untrusted workspace');
    await refusal.waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok(
      await refusal.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).isVisible(),
      'the refusal offers no way to trust the workspace',
    );
    await screenshot(page, 'extension-untrusted');

    // Give a wrongly started preview the time to make its first objects, then look. A fixed
    // window on purpose: what is tested is that nothing happens in it (an absence has no
    // condition to wait for).
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal(
      await notification(page, `previewing ${UNTRUSTED_BRANCH}`).count(),
      0,
      'a preview started in the untrusted workspace',
    );
    assert.deepEqual(
      await leftOnEngine('shop', UNTRUSTED_BRANCH),
      NOTHING,
      'the untrusted workspace made Docker objects',
    );
  });

  it('previews a newly checked-out branch by itself (autoPreview), and offers its environment for teardown once the branch is deleted', async function () {
    const folder = shopRepo(join(scratch, 'auto'));
    used.push({ folder, branch: AUTO_BRANCH }, { folder, branch: 'main' });
    const page = await open('auto', folder, { 'slipway.autoPreview': true });
    await openSlipwayView(page);
    const welcome = page.locator('.pane .welcome-view-content', { hasText: 'Preview Current Branch' });
    await welcome.first().waitFor({ state: 'visible', timeout: 60_000 });

    // The branch the window opens on is not a checkout: autoPreview leaves it alone.
    await page.locator('.statusbar-item', { hasText: 'main' }).first().waitFor({ state: 'visible', timeout: 60_000 });
    // A fixed window on purpose: what is tested is that no preview starts in it.
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(
      await notification(page, 'previewing main').count(),
      0,
      'autoPreview previewed the branch the window opened on',
    );
    assert.deepEqual(
      await leftOnEngine('shop', 'main'),
      NOTHING,
      'autoPreview made Docker objects for the branch the window opened on',
    );

    // A checkout outside the editor, from a detached HEAD (no branch before it): the git
    // extension notices it and the extension previews it.
    // Slipway's status bar item ("Preview" for main) hides once the extension sees no branch.
    const previewItem = page.locator('.statusbar-item', { hasText: /^\s*Preview\s*$/ });
    await previewItem.first().waitFor({ state: 'visible', timeout: 30_000 });
    git(['checkout', '-q', '--detach'], folder);
    await previewItem.first().waitFor({ state: 'hidden', timeout: 60_000 });
    git(['checkout', '-qb', AUTO_BRANCH], folder);
    const running = envRow(page, `${AUTO_BRANCH}, running`);
    await running.waitFor({ state: 'visible', timeout: 180_000 });
    await screenshot(page, 'extension-autopreview-running');

    // Leave the branch (detached, so nothing else gets previewed) and delete it.
    git(['checkout', '-q', '--detach'], folder);
    git(['branch', '-q', '-D', AUTO_BRANCH], folder);
    const offer = notification(page, `Branch ${AUTO_BRANCH} no longer exists`);
    await offer.waitFor({ state: 'visible', timeout: 60_000 });
    await screenshot(page, 'extension-deleted-branch-offer');
    await offer.locator('.monaco-button', { hasText: /^Tear Down$/ }).click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Tear Down$/ }).click({ timeout: 30_000 });

    await welcome.first().waitFor({ state: 'visible', timeout: 120_000 });
    assert.equal(
      await envRow(page, AUTO_BRANCH).count(),
      0,
      'the view still lists the environment of the deleted branch',
    );
    assert.deepEqual(
      await leftOnEngine('shop', AUTO_BRANCH),
      NOTHING,
      'tearing down the deleted branch left Docker objects behind',
    );
  });
});
