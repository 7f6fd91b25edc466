// `npm run test:vscode`: the in-host integration tests (test/vscode) in a desktop VS Code that
// @vscode/test-electron downloads (cached under the Slipway cache, like the rest of the editor
// toolchain), with this repository as the extension under development and a copy of
// examples/shop as the workspace.
//
// Where VS Code cannot be downloaded, this fails saying so. The CI path needs no download: the same
// suite runs in code-server from `npm test` (test/e2e/inhost.test.ts).
//
// SLIPWAY_VSCODE_VERSION picks the version (default: the VS Code inside the pinned code-server);
// SLIPWAY_VSCODE_EXECUTABLE runs a VS Code already on this machine instead of downloading one.
// On Linux without a display, run it under xvfb-run.
import { download, runTests } from '@vscode/test-electron';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildInHostTests } from './test/vscode/build.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const version = process.env.SLIPWAY_VSCODE_VERSION || '1.139.1';
const cachePath = join(
  process.env.SLIPWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'slipway'),
  'vscode-test',
);

async function vscodeExecutable() {
  if (process.env.SLIPWAY_VSCODE_EXECUTABLE) return process.env.SLIPWAY_VSCODE_EXECUTABLE;
  try {
    return await download({ version, cachePath, timeout: 30_000 });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    console.error(
      `\n[slipway] Could not download VS Code ${version} (into ${cachePath}): ${why}\n` +
        '[slipway] The in-host tests need a desktop VS Code. Where it cannot be downloaded, run the same suite in code-server,\n' +
        '[slipway] which needs no download: `npx mocha test/e2e/inhost.test.ts` (part of `npm test`), or point\n' +
        '[slipway] SLIPWAY_VSCODE_EXECUTABLE at a VS Code on this machine.',
    );
    process.exit(2);
  }
}

const executable = await vscodeExecutable();
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
const extensionTestsPath = await buildInHostTests();
const scratch = mkdtempSync(join(tmpdir(), 'slipway-vscode-test-'));
const workspace = join(scratch, 'shop');
cpSync(join(root, 'examples', 'shop'), workspace, { recursive: true, filter: (src) => !src.includes('node_modules') });
try {
  await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: root,
    extensionTestsPath,
    extensionTestsEnv: { SLIPWAY_HOME: join(scratch, 'home') },
    // Only Slipway (and the built-in extensions): nothing the user installed.
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--user-data-dir',
      join(scratch, 'user-data'),
    ],
  });
} catch (err) {
  console.error(`[slipway] the in-host tests failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
