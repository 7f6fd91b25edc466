/** Slipway: Install CLI on PATH: a `slipway` launcher for the CLI this extension carries, kept pointing at it across updates. */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import * as vscode from 'vscode';
import { MARK, launcherPath, launcherText } from '../launcher';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';

async function writeLauncher(file: string, text: string): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(file, text);
  if (process.platform !== 'win32') await chmod(file, 0o755);
}

function cliOf(context: vscode.ExtensionContext): string {
  return join(context.extensionPath, 'dist', 'extension', 'slipway.js');
}

/** Rewrites a launcher this extension wrote before when it points at another (older) copy of it. */
export async function refreshLauncher(slipway: Slipway): Promise<void> {
  const file = launcherPath();
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (!text?.includes(MARK)) return;
  const wanted = launcherText(cliOf(slipway.context), process.execPath);
  if (text !== wanted) {
    await writeLauncher(file, wanted);
    slipway.log.info(`updated the slipway launcher at ${file} for this version of the extension`);
  }
}

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.cli.install', async (s) => {
    const file = launcherPath();
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    if (existing !== undefined && !existing.includes(MARK)) {
      void vscode.window.showWarningMessage(
        `${file} already exists and was not written by Slipway; it was left alone. Remove it, or use the slipway it runs.`,
      );
      return;
    }
    await writeLauncher(file, launcherText(cliOf(s.context), process.execPath));
    s.log.info(`installed the slipway launcher at ${file}`);
    const dir = join(file, '..');
    const onPath = (process.env.PATH ?? '').split(delimiter).includes(dir);
    if (onPath) {
      void vscode.window.showInformationMessage(
        `Installed slipway at ${file}. Run \`slipway init\` and \`slipway up\` in a terminal.`,
      );
      return;
    }
    const line = process.platform === 'win32' ? `setx PATH "%PATH%;${dir}"` : `export PATH="${dir}:$PATH"`;
    const choice = await vscode.window.showInformationMessage(
      `Installed slipway at ${file}, but ${dir} is not on your PATH: add it (${line}).`,
      'Copy Command',
    );
    if (choice) await vscode.env.clipboard.writeText(line);
  });
}
