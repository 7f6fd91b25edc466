/**
 * Quotas, expiry and share links in a real VS Code (code-server) driven through Chromium, on the
 * real Docker Engine and Pulumi: with a workspace limit of one environment (the committed
 * `.vscode/settings.json`), the Environments view's header shows the use and the running
 * environment's countdown; a preview of a second branch is refused with one message naming the
 * limit, its file, the use and the holder, offering Tear Down All Mine and Open Settings, and
 * nothing is made; Copy Share Link puts the gateway's link on the clipboard and the link opens the
 * app; the dashboard shows the quota use and the link (without its token), and Revoke ends it.
 * Fails (never skips) without the toolchain or the engines.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envNames } from '../../environments/naming';
import { readGateway } from '../../environments/share/supervise';
import { RUN, ROOT, forceDown, git, labelled, requireEngines, runCli } from '../integration/helpers';
import { editorToolchain, runCommand, screenshot, type CodeServer, type Workbench } from './harness';
import { dismissNotification, envRow, notification, openEditor, webviewFrame } from './workbench';

const PROJECT = `quota-${RUN}`;
const A = `e2e/quota-a-${RUN}`;
const B = `e2e/quota-b-${RUN}`;
const EMAIL = 'e2e@slipway.test';

/** A GET through the gateway on 127.0.0.1 with the link's host name (`*.localhost` need not resolve here). */
/** GET through the gateway as a browser does: the first visit's 302 (token into a cookie) is followed with that cookie. */
function getThroughGateway(link: string, cookie?: string): Promise<{ status: number; body: string }> {
  const u = new URL(link);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: u.host, ...(cookie ? { cookie } : {}) };
    const req = request({ host: '127.0.0.1', port: Number(u.port), path: u.pathname + u.search, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => {
        const location = res.headers.location;
        const set = res.headers['set-cookie']?.[0]?.split(';')[0];
        if (res.statusCode === 302 && location && set && !cookie)
          return getThroughGateway(new URL(location, link).toString(), set).then(resolve, reject);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('VS Code extension end to end: quotas, expiry and share links (code-server)', function () {
  this.timeout(15 * 60 * 1000);

  let scratch: string;
  let home: string;
  let folder: string;
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    editorToolchain(); // names what is missing and how to get it
    await requireEngines();
    scratch = mkdtempSync(join(tmpdir(), 'slipway-quota-e2e-'));
    home = join(scratch, 'home');
    folder = join(scratch, 'app');
    mkdirSync(join(folder, '.vscode'), { recursive: true });
    cpSync(join(ROOT, 'test', 'fixtures', 'share-web'), join(folder, 'web'), { recursive: true });
    writeFileSync(
      join(folder, 'slipway.yaml'),
      `version: 1\nname: ${PROJECT}\nservices:\n  web:\n    build: web\n    ports: [8080]\n    healthcheck:\n      http: /\n`,
    );
    // The team's limit, committed with the workspace.
    writeFileSync(
      join(folder, '.vscode', 'settings.json'),
      '{\n  // one preview per project on this host\n  "slipway.quotas.maxEnvironmentsPerWorkspace": 1,\n}\n',
    );
    git(['init', '-q', '-b', 'main'], folder);
    git(['config', 'user.email', EMAIL], folder);
    git(['config', 'user.name', 'e2e'], folder);
    git(['add', '.'], folder);
    git(['commit', '-qm', 'app'], folder);
    git(['branch', B], folder);
    git(['checkout', '-qb', A], folder);
    const up = await runCli(['up', '--spec', join(folder, 'slipway.yaml'), '--branch', A], home);
    assert.equal(up.code, 0, `slipway up of ${A} failed:\n${up.stderr}`);

    const editor = await openEditor(scratch, folder, home);
    ({ server, workbench } = editor);
    await editor.workbench.page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: editor.server.url });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && workbench) await screenshot(workbench.page, 'quota-failed');
  });

  after(async function () {
    await workbench?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed' && server)
      console.error(`--- code-server output ---\n${server.logs().slice(-8000)}`);
    if (folder) for (const b of [A, B]) await forceDown(join(folder, 'slipway.yaml'), b, home).catch(() => undefined);
    // The gateway the editor started outlives the window by design: this test ends it.
    const gw = home ? readGateway(home) : undefined;
    if (gw) {
      try {
        process.kill(Number(gw.owner.split(' ')[0]), 'SIGTERM');
      } catch {
        // gone already
      }
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('shows use and countdown, refuses a preview over the limit naming it, copies the share link, and revokes it from the dashboard', async function () {
    const { page } = workbench!;
    await page.locator('.activitybar .action-item a[aria-label^="Slipway"]').click({ timeout: 60_000 });

    // 1. The view: the running environment with its countdown, and the quota use in the header.
    const row = envRow(page, `${A}, running`);
    await row.waitFor({ state: 'visible', timeout: 120_000 });
    const rowText = (await row.locator('.label-description').textContent()) ?? '';
    assert.match(rowText, /\b(\d+[mhd]( \d+h)?) left\b/, `the row shows no countdown: "${rowText}"`);
    // The view is the container's only one, so its title shows no description: the message holds the use.
    const message = page.locator('.part.sidebar').getByText('Quota: 1/1 project').locator('visible=true').first();
    await message.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match((await message.textContent()) ?? '', /Used up: a new preview will be refused/);
    await screenshot(page, 'quota-view-header');

    // 2. A preview of another branch is refused: one message naming the limit, its file, the use and the holder.
    await runCommand(page, 'Slipway: Preview Branch...');
    await page.locator('.quick-input-widget .quick-input-box input').fill(B);
    // The command asks for the branch in an input box (a list when it offers known branches): Enter takes it.
    await page.keyboard.press('Enter');
    const refused = notification(page, 'Quota exceeded');
    await refused.waitFor({ state: 'visible', timeout: 120_000 });
    const text = (await refused.textContent()) ?? '';
    assert.match(text, /environments per workspace \(project\) is limited to 1/);
    assert.match(text, /slipway\.quotas\.maxEnvironmentsPerWorkspace/);
    assert.match(text, /\.vscode\/settings\.json/);
    assert.match(text, /1 in use \(e2e@slipway\.test 1\)/);
    for (const action of ['Tear Down All Mine', 'Open Settings'])
      await refused.locator('.monaco-button', { hasText: action }).waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(page, 'quota-refused');
    const made = await labelled(PROJECT, B);
    assert.deepEqual(
      { containers: made.containers.length, networks: made.networks.length, volumes: made.volumes.length },
      { containers: 0, networks: 0, volumes: 0 },
      'a refused preview made Docker objects',
    );
    await dismissNotification(page, refused);

    // 3. Copy Share Link: the gateway's link on the clipboard, and it opens the app.
    await runCommand(page, 'Slipway: Copy Share Link');
    await notification(page, `Copied a share link to ${A}`).waitFor({ state: 'visible', timeout: 60_000 });
    const link = (await page.evaluate('navigator.clipboard.readText()')) as string;
    const names = envNames(PROJECT, A);
    assert.match(
      link,
      new RegExp(`^http://${names.env}\\.${names.project}\\.localhost:\\d+/\\?slipway_token=[\\w-]+$`),
      `the clipboard holds "${link}"`,
    );
    const opened = await getThroughGateway(link);
    assert.equal(opened.status, 200, `the link answered ${opened.status}: ${opened.body}`);
    assert.equal(opened.body, 'hello /');

    // 4. The dashboard: quota use and the link without its token, with Copy and Revoke.
    await runCommand(page, 'Slipway: Open Environment Dashboard');
    const dashboard = await webviewFrame(page, 'dashboard');
    const address = dashboard.locator('.share-address');
    await address.waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await address.textContent(), link.replace(/\?slipway_token=.*$/, ''));
    assert.doesNotMatch(await dashboard.locator('body').innerHTML(), /slipway_token=/, 'the token reached the webview');
    await dashboard.getByRole('button', { name: 'Copy the share link' }).waitFor({ state: 'visible' });
    const quotas = dashboard.locator('table[aria-label="Quotas"]');
    await quotas.locator('tr', { hasText: 'environments per workspace' }).waitFor({ state: 'visible' });
    await screenshot(page, 'quota-dashboard');
    await dashboard.getByRole('button', { name: 'Revoke the share link' }).click();
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Revoke$/ }).click({ timeout: 30_000 });
    await dashboard.getByText('No share link').waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal((await getThroughGateway(link)).status, 404, 'a revoked link still answers');
  });
});
