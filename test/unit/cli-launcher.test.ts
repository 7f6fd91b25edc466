/** The launcher "Slipway: Install CLI on PATH" writes: its place per platform, and that it really runs the bundled CLI. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launcherPath, launcherText } from '../../extension/launcher';

describe('the CLI launcher of the VS Code extension', () => {
  it('goes to ~/.local/bin, or %LOCALAPPDATA%\\Programs\\Slipway on Windows', () => {
    assert.equal(launcherPath('linux', {}, '/home/ann'), '/home/ann/.local/bin/slipway');
    assert.equal(launcherPath('darwin', {}, '/Users/ann'), '/Users/ann/.local/bin/slipway');
    assert.match(
      launcherPath('win32', { LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' }, 'C:\\Users\\ann'),
      /Programs[\\/]Slipway[\\/]slipway\.cmd$/,
    );
    assert.match(
      launcherText('C:\\ext\\slipway.js', 'C:\\Code\\Code.exe', 'win32'),
      /^@echo off\r\n.*set ELECTRON_RUN_AS_NODE=1\r\n"C:\\Code\\Code\.exe" "C:\\ext\\slipway\.js" %\*\r\n$/s,
    );
  });

  it('runs the bundled CLI with the runtime it names, paths with quotes and spaces included', () => {
    const cli = join(__dirname, '..', '..', 'dist', 'extension', 'slipway.js');
    if (!existsSync(cli)) throw new Error('dist/extension/slipway.js is missing: run `node scripts/build.mjs`.');
    const dir = mkdtempSync(join(tmpdir(), "slipway launcher 'q' "));
    try {
      const file = join(dir, 'slipway');
      writeFileSync(file, launcherText(cli, process.execPath, 'linux'));
      chmodSync(file, 0o755);
      assert.match(execFileSync(file, ['--help'], { encoding: 'utf8' }), /Usage: slipway <command>/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
