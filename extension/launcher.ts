/** The `slipway` launcher that "Slipway: Install CLI on PATH" writes: where it goes and what it holds (no `vscode` here, so plain tests run it). */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const MARK = 'Slipway CLI launcher, written by the Slipway extension';

/** Where the launcher goes: ~/.local/bin/slipway, or %LOCALAPPDATA%\Programs\Slipway\slipway.cmd on Windows. */
export function launcherPath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home = homedir(),
): string {
  if (platform === 'win32')
    return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'Programs', 'Slipway', 'slipway.cmd');
  return join(home, '.local', 'bin', 'slipway');
}

/** The launcher's text: the editor's own runtime runs as Node (no separate Node needed) with the bundled CLI. */
export function launcherText(cli: string, runtime: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32')
    return `@echo off\r\nrem ${MARK}\r\nset ELECTRON_RUN_AS_NODE=1\r\n"${runtime}" "${cli}" %*\r\n`;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `#!/bin/sh\n# ${MARK}\nELECTRON_RUN_AS_NODE=1 exec ${q(runtime)} ${q(cli)} "$@"\n`;
}
