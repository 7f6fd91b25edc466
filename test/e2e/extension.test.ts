/**
 * The extension end to end in a real VS Code (code-server) driven through Chromium: the freshly
 * built VSIX is installed, the example shop is opened as a git work tree, and everything happens
 * through the workbench as a user would do it: the command palette, the Environments view, the
 * progress notification's Cancel button, the teardown confirmation and the Problems panel.
 * Docker objects are checked on the real engine. Fails (never skips) without the toolchain.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpecError } from '../../environments/errors';
import { parseSpec } from '../../environments/spec/load';
import { RUN, ROOT, docker, forceDown, git, labelled, requireEngines, runCli } from '../integration/helpers';
import { editorToolchain, runCommand, screenshot, type CodeServer, type Workbench } from './harness';
import {
  dismissNotification,
  envRow,
  leftOnEngine,
  notification,
  openEditor,
  reloadAndRestore,
  webviewFrame,
} from './workbench';

const BRANCH = `e2e/preview-${RUN}`;
/** A spec with one mistake on a known line (a port that is not a number). */
const BROKEN_SPEC = [
  'version: 1',
  'name: broken',
  'services:',
  '  web:',
  '    image: slipway/busybox:local',
  '    ports: [eighty]',
  '',
].join('\n');

describe('VS Code extension end to end (code-server)', function () {
  this.timeout(15 * 60 * 1000);

  let scratch: string;
  let home: string;
  let folder: string;
  let reviewerKey: string;
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(async function () {
    editorToolchain(); // names what is missing and how to get it
    await requireEngines();
    scratch = mkdtempSync(join(tmpdir(), 'slipway-ext-e2e-'));
    home = join(scratch, 'home');
    folder = join(scratch, 'shop');
    cpSync(join(ROOT, 'examples', 'shop'), folder, { recursive: true, filter: (src) => !src.includes('node_modules') });
    mkdirSync(join(folder, 'broken'));
    writeFileSync(join(folder, 'broken', 'slipway.yaml'), BROKEN_SPEC);
    // The reviewer's signing key, listed in the allowed_signers committed on main.
    reviewerKey = join(scratch, 'reviewer_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'reviewer', '-f', reviewerKey]);
    writeFileSync(
      join(folder, 'allowed_signers'),
      `reviewer@slipway.test ${readFileSync(`${reviewerKey}.pub`, 'utf8').trim()}\n`,
      { flag: 'a' },
    );
    git(['init', '-q', '-b', 'main'], folder);
    git(['add', '.'], folder);
    git(['-c', 'user.email=e2e@slipway.test', '-c', 'user.name=e2e', 'commit', '-qm', 'shop'], folder);
    git(['checkout', '-qb', BRANCH], folder);

    ({ server, workbench } = await openEditor(scratch, folder, home));
  });

  after(async function () {
    await workbench?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed' && server)
      console.error(`--- code-server output ---\n${server.logs().slice(-8000)}`);
    // Whatever the test reached, nothing stays on the engine.
    if (folder) await forceDown(join(folder, 'slipway.yaml'), BRANCH, home).catch(() => undefined);
    if (folder)
      await runCli(['down', '--stage', 'staging', '--spec', join(folder, 'slipway.yaml')], home).catch(() => undefined);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('previews the branch from the palette (cancel leaves nothing; the next preview runs), shows it running, and tears it down', async function () {
    const { page } = workbench!;
    await page.locator('.activitybar .action-item a[aria-label^="Slipway"]').click();
    // The welcome content: the extension is active and found slipway.yaml.
    const welcome = page.locator('.pane .welcome-view-content a, .pane .welcome-view-content .monaco-button', {
      hasText: 'Preview Current Branch',
    });
    await welcome.first().waitFor({ state: 'visible', timeout: 60_000 });

    // 1. A preview cancelled midway leaves nothing behind.
    await runCommand(page, 'Slipway: Preview Current Branch');
    const progress = notification(page, `previewing ${BRANCH}`);
    await progress.waitFor({ state: 'visible', timeout: 60_000 });
    // Wait until resources are being made, then cancel.
    await notification(page, /(creating|created) /).waitFor({ state: 'visible', timeout: 120_000 });
    await screenshot(page, 'extension-progress-notification');
    await progress.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await notification(page, 'nothing was left behind').waitFor({ state: 'visible', timeout: 180_000 });
    assert.deepEqual(
      await leftOnEngine('shop', BRANCH),
      { containers: 0, networks: 0, volumes: 0, images: 0 },
      'a cancelled first preview left Docker objects behind',
    );

    // 2. The next preview succeeds and the view shows it running with its service URL.
    await runCommand(page, 'Slipway: Preview Current Branch');
    const running = envRow(page, `${BRANCH}, running`);
    await running.waitFor({ state: 'visible', timeout: 300_000 });
    const web = page.locator('.pane [role="treeitem"]', { hasText: /^web/ }).first();
    await web.waitFor({ state: 'visible', timeout: 30_000 });
    const description = (await web.locator('.label-description').textContent()) ?? '';
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(description)?.[0];
    assert.ok(url, `the web service's row shows no URL: "${description}"`);
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 200, `${url}/healthz answered ${res.status}`);
    await screenshot(page, 'extension-environment-running');

    // 2b. Editing the spec marks the running environment out of date; the notification's
    // Update brings it up to date, and the app runs the new value.
    const specFile = join(folder, 'slipway.yaml');
    writeFileSync(
      specFile,
      readFileSync(specFile, 'utf8').replace('GREETING: Hello from Slipway', 'GREETING: Hello from an edited spec'),
    );
    // Committed, so the updated preview is built from a commit and its gates can run (a dirty one is refused).
    git(['-c', 'user.email=dev@slipway.test', '-c', 'user.name=dev', 'commit', '-qam', 'greeting'], folder);
    await envRow(page, `${BRANCH}, running, out of date`).waitFor({ state: 'visible', timeout: 30_000 });
    const stale = notification(page, `The environment of ${BRANCH} is out of date: slipway.yaml changed.`);
    await stale.waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot(page, 'extension-out-of-date');
    await stale.locator('.monaco-button', { hasText: 'Update' }).click();
    await page
      .locator(`.pane [role="treeitem"][aria-label="${BRANCH}, running"]`)
      .waitFor({ state: 'visible', timeout: 300_000 });
    const greeting = await (await fetch(`${url}/`)).text();
    assert.match(greeting, /Hello from an edited spec/, 'the updated environment does not run the edited spec');

    // 3. The dashboard of the running environment shows its services.
    await runCommand(page, 'Slipway: Open Environment Dashboard');
    const dashboard = await webviewFrame(page, 'dashboard');
    const services = dashboard.locator('table[aria-label="Services"]');
    await services.locator('text=web').first().waitFor({ state: 'visible', timeout: 60_000 });
    await services.locator('text=db').first().waitFor({ state: 'visible', timeout: 10_000 });
    await dashboard
      .locator(`text=${url.replace(/^http:\/\//, '')}`)
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(page, 'extension-dashboard');

    // 3b. Drift: a memory limit changed by hand shows declared against actual; web's Reapply clears it.
    const webContainer = (await labelled('shop', BRANCH)).containers.find(
      (c) => c.Labels['dev.slipway.service'] === 'web',
    );
    assert.ok(webContainer, 'no web container is labelled for the environment');
    await docker.getContainer(webContainer.Id).update({ Memory: 300 * 1024 * 1024, MemorySwap: -1 });
    await runCommand(page, 'Slipway: Show Drift');
    const driftView = await webviewFrame(page, 'drift');
    const differences = driftView.locator('table[aria-label="Differences of web"]');
    await differences.waitFor({ state: 'visible', timeout: 120_000 });
    const memoryRow = differences.locator('tr', { hasText: 'memory' });
    await memoryRow.getByText('256Mi').waitFor({ state: 'visible', timeout: 10_000 });
    await memoryRow.getByText('300Mi').waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot(page, 'extension-drift');
    await driftView.getByRole('button', { name: 'Reapply web' }).click();
    await driftView
      .locator('[role="status"][aria-label="Drift: none"]')
      .waitFor({ state: 'visible', timeout: 180_000 });
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'web does not answer on its URL after reapply');

    // 4. The pipeline view shows the example's staging gates; re-running them streams their states in.
    await runCommand(page, 'Slipway: Show Pipeline and Gates');
    const pipeline = await webviewFrame(page, 'pipeline');
    for (const gate of ['health', 'drift', 'syntax', 'approval']) {
      await pipeline.locator(`li[aria-label^="Gate ${gate}:"]`).waitFor({ state: 'visible', timeout: 60_000 });
    }
    await pipeline.getByRole('button', { name: 'Re-run all gates of staging' }).click();
    for (const gate of ['health', 'drift', 'syntax']) {
      await pipeline.locator(`li[aria-label="Gate ${gate}: Passed"]`).waitFor({ state: 'visible', timeout: 120_000 });
    }
    // The example needs one signed approval; the range's author never counts.
    await pipeline.locator('li[aria-label="Gate approval: Pending"]').waitFor({ state: 'visible', timeout: 30_000 });
    await screenshot(page, 'extension-pipeline');

    // Promote... from the palette now is refused, and the one message names the gate that blocks.
    await runCommand(page, 'Slipway: Promote...');
    const refused = notification(page, 'Not promoting branch');
    await refused.waitFor({ state: 'visible', timeout: 60_000 });
    assert.match((await refused.textContent()) ?? '', /approval \(approval\) pending: 0 of 1 signed approval/);
    await screenshot(page, 'extension-promotion-refused');
    // Dismiss it: the toast would stack above the ones the next steps look for.
    await dismissNotification(page, refused);

    // A reviewer approves and re-runs the gates from the CLI: the open view follows by itself.
    const spec = join(folder, 'slipway.yaml');
    for (const args of [
      [
        'approve',
        '--to',
        'staging',
        '--from',
        BRANCH,
        '--as',
        'reviewer@slipway.test',
        '--key',
        reviewerKey,
        '--spec',
        spec,
      ],
      ['gates', '--to', 'staging', '--from', BRANCH, '--spec', spec],
    ]) {
      const r = await runCli(args, home);
      assert.equal(r.code, 0, `slipway ${args[0]} failed:\n${r.stderr}`);
    }
    await pipeline.locator('li[aria-label="Gate approval: Passed"]').waitFor({ state: 'visible', timeout: 5_000 });
    await pipeline.getByText('reviewer@slipway.test').first().waitFor({ state: 'visible', timeout: 10_000 });

    // A reload restores the open panels through their serializers, each with its environment.
    const restored = await reloadAndRestore(page, 'pipeline');
    await restored.locator('li[aria-label="Gate health: Passed"]').waitFor({ state: 'visible', timeout: 60_000 });

    // 4b. Every gate passes now: Promote in the view deploys what the preview ran to staging.
    await restored.locator('li[aria-label="Gate approval: Passed"]').waitFor({ state: 'visible', timeout: 30_000 });
    await restored.getByRole('button', { name: 'Promote to staging' }).click();
    const released = notification(page, `Release 1 of staging runs what ${BRANCH} ran`);
    await released.waitFor({ state: 'visible', timeout: 300_000 });
    const stageUrl = /http:\/\/127\.0\.0\.1:\d+/.exec((await released.textContent()) ?? '')?.[0];
    assert.ok(stageUrl, 'the promotion names no URL of staging');
    assert.equal((await fetch(`${stageUrl}/healthz`)).status, 200, `staging at ${stageUrl} does not answer`);
    await restored
      .locator('li[aria-label="Stage 2: staging"]', { hasText: 'release 1' })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await envRow(page, 'stage: staging, running').waitFor({ state: 'visible', timeout: 60_000 });
    await screenshot(page, 'extension-promoted');
    // Staging is the team's, not the branch's: it goes with the CLI, and the view follows on Refresh.
    const downStage = await runCli(['down', '--stage', 'staging', '--spec', spec], home);
    assert.equal(downStage.code, 0, `slipway down --stage staging failed:\n${downStage.stderr}`);
    await runCommand(page, 'Slipway: Refresh');
    await envRow(page, 'stage: staging').waitFor({ state: 'detached', timeout: 30_000 });
    await page.keyboard.press('Control+K');
    await page.keyboard.press('W'); // close all editors, so the view is what the next step sees

    // 5. Tear down from the palette, confirmed in the dialog: the view is empty and Docker is clean.
    await runCommand(page, 'Slipway: Tear Down');
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Tear Down$/ }).click({ timeout: 30_000 });
    await welcome.first().waitFor({ state: 'visible', timeout: 180_000 });
    assert.equal(await envRow(page, BRANCH).count(), 0, 'the view still lists the environment');
    assert.deepEqual(
      await leftOnEngine('shop', BRANCH),
      { containers: 0, networks: 0, volumes: 0, images: 0 },
      'tear down left Docker objects behind',
    );
  });

  it('shows a broken slipway.yaml in the Problems panel at the line the core names', async function () {
    const { page } = workbench!;
    const file = join(folder, 'broken', 'slipway.yaml');
    let expected: { line: number; column: number; message: string } | undefined;
    try {
      parseSpec(BROKEN_SPEC, file);
    } catch (err) {
      assert.ok(SpecError.is(err));
      const issue = err.issues[0];
      expected = { line: issue.line, column: issue.column, message: `${issue.field}: ${issue.message}` };
    }
    assert.ok(expected, 'the broken spec parsed without problems');
    assert.equal(expected.line, 6, 'the mistake is on line 6 of the broken spec');

    // Quick Open by path, then the Problems panel.
    await page.keyboard.press('Control+P');
    await page.locator('.quick-input-widget .quick-input-box input').fill('broken/slipway.yaml');
    await page
      .locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'slipway.yaml' })
      .filter({ hasText: 'broken' })
      .first()
      .click({ timeout: 30_000 });
    await page
      .locator('.monaco-editor .view-lines', { hasText: 'eighty' })
      .waitFor({ state: 'visible', timeout: 30_000 });
    await runCommand(page, 'View: Focus Problems (Errors, Warnings, Infos)');
    const row = page.locator('.markers-panel .monaco-list-row', { hasText: expected.message }).first();
    await row.waitFor({ state: 'visible', timeout: 60_000 });
    const text = (await row.textContent()) ?? '';
    assert.match(
      text,
      new RegExp(`\\[Ln ${expected.line}, Col ${expected.column}\\]`),
      `the problem is not at line ${expected.line}, column ${expected.column}: "${text}"`,
    );
    await screenshot(page, 'extension-spec-problem');
  });
});
