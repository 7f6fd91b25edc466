/**
 * Proves the end-to-end harness against the real thing: code-server serving a folder, the
 * workbench in Chromium, quick open, the command palette, the integrated terminal, a
 * screenshot, and a clean stop. Fails (never skips) when the toolchain is missing.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  editorToolchain,
  openWorkbench,
  pickQuickInput,
  processGroupAlive,
  runCommand,
  screenshot,
  startCodeServer,
  type CodeServer,
  type Workbench,
} from './harness';
import { waitFor } from '../wait';

describe('e2e harness (code-server + Chromium)', function () {
  this.timeout(5 * 60 * 1000);

  let scratch: string | undefined;
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  afterEach(async function () {
    // Whatever the test reached, leave no browser and no code-server behind.
    await workbench?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed' && server) {
      console.error(`--- code-server output ---\n${server.logs().slice(-8000)}`);
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    workbench = undefined;
    server = undefined;
    scratch = undefined;
  });

  it('opens a file, runs a palette command, shows the terminal, and stops cleanly', async function () {
    editorToolchain(); // throws "... run scripts/bootstrap-editor.sh" when anything is missing

    scratch = mkdtempSync(join(tmpdir(), 'slipway-e2e-'));
    const folder = join(scratch, 'workspace');
    const text = 'Hello from Slipway e2e';
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'hello.txt'), `${text}\n`);

    server = await startCodeServer({
      folder,
      extensionsDir: join(scratch, 'extensions'),
      userDataDir: join(scratch, 'user-data'),
      // xterm's DOM renderer, so the terminal's text can be read from the page (the GPU and
      // canvas renderers draw pixels only).
      settings: { 'terminal.integrated.gpuAcceleration': 'off' },
    });
    workbench = await openWorkbench(server.url);
    const { page } = workbench;

    // Quick open (Ctrl+P) finds the file; its text shows in the editor.
    await pickQuickInput(page, 'Control+P', 'hello.txt', 'hello.txt');
    const editor = page.locator('.editor-group-container .monaco-editor .view-lines').first();
    await editor.waitFor({ state: 'visible', timeout: 30_000 });
    await assertEventually(
      async () => (await editor.innerText()).replace(/\u00a0/g, ' ').includes(text),
      `the editor to show "${text}"`,
    );
    assert.ok(
      await page.locator('.tabs-container .tab', { hasText: 'hello.txt' }).isVisible(),
      'hello.txt has an editor tab',
    );

    // The command palette runs "View: Toggle Terminal"; the terminal panel appears with a live shell.
    await runCommand(page, 'View: Toggle Terminal');
    const terminal = page.locator('.part.panel .terminal-wrapper .xterm').first();
    await terminal.waitFor({ state: 'visible', timeout: 60_000 });
    const terminalText = async () =>
      (
        await page
          .locator('.part.panel .xterm-rows')
          .first()
          .innerText()
          .catch(() => '')
      ).replace(/\u00a0/g, ' ');
    await assertEventually(
      async () => (await terminalText()).trim().length > 0,
      'the shell prompt in the terminal',
      60_000,
    );
    await terminal.click();
    await page.keyboard.type('echo slipway-$((6*7))\n', { delay: 20 });
    await assertEventually(
      async () => /^slipway-42\s*$/m.test(await terminalText()),
      'the terminal to print slipway-42 (a shell runs behind it)',
    );

    const shot = await screenshot(page, 'e2e-harness-workbench');
    assert.ok(statSync(shot).size > 10_000, `${shot} holds a real screenshot`);
    console.log(`      screenshot: ${shot}`);

    // Stopping kills code-server's whole process group.
    const pid = server.pid;
    await workbench.close();
    workbench = undefined;
    await server.stop();
    assert.equal(processGroupAlive(pid), false, `code-server's process group ${pid} is gone`);
  });
});

/** Polls `check` every 250 ms for up to `timeoutMs`; fails naming what it waited for. */
async function assertEventually(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  await waitFor(what, check, { timeoutMs, intervalMs: 250 });
}
