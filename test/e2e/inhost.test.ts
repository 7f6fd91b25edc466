/**
 * The in-host integration tests (test/vscode) in code-server, with no download: the freshly built
 * VSIX is installed, and the workbench is opened with the extension-test payload VS Code's own
 * web tests use (`extensionDevelopmentPath`, `extensionTestsPath`), so the remote extension host
 * loads the installed extension as the one under test and runs dist/vscode-test/index.js.
 *
 * A built VS Code honours that payload only with `--enable-smoke-test-driver`, which code-server
 * passes through to VS Code from VSCODE_OPTIONS. The window has no exit code to read: the in-host
 * runner writes its results to SLIPWAY_VSCODE_TEST_RESULTS. Fails (never skips) without the
 * toolchain. `npm run test:vscode` runs the same suite in a downloaded VS Code instead.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { git } from '../integration/helpers';
import type { InHostResults } from '../vscode/index';
import {
  editorToolchain,
  installExtension,
  openWorkbench,
  startCodeServer,
  type CodeServer,
  type Workbench,
} from './harness';
import { waitFor } from '../wait';

const ROOT = resolve(__dirname, '..', '..');
const RESULTS_TIMEOUT_MS = 120_000;

describe('in-host integration tests in code-server (no download)', function () {
  this.timeout(5 * 60 * 1000);

  let scratch: string;
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;

  before(function () {
    editorToolchain(); // names what is missing and how to get it
    scratch = mkdtempSync(join(tmpdir(), 'slipway-inhost-'));
  });

  after(async function () {
    await workbench?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    if (this.currentTest?.state === 'failed' && server)
      console.error(`--- code-server output ---\n${server.logs().slice(-8000)}`);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('runs test/vscode inside the extension host against the installed VSIX: all pass', async function () {
    execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    const testsBundle = execFileSync(process.execPath, [join(ROOT, 'test', 'vscode', 'build.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    assert.ok(existsSync(testsBundle), `no in-host test bundle at ${testsBundle}`);

    const folder = join(scratch, 'shop');
    cpSync(join(ROOT, 'examples', 'shop'), folder, { recursive: true, filter: (src) => !src.includes('node_modules') });
    // A git work tree on `main`: the in-host tests switch branches in it.
    git(['init', '-q', '-b', 'main'], folder);
    git(['add', '.'], folder);
    git(['-c', 'user.email=e2e@slipway.test', '-c', 'user.name=e2e', 'commit', '-qm', 'shop'], folder);
    const extensionsDir = join(scratch, 'extensions');
    const userDataDir = join(scratch, 'user-data');
    await installExtension(join(ROOT, 'dist', 'slipway.vsix'), extensionsDir, userDataDir);
    const installed = readdirSync(extensionsDir).find((d) => d.startsWith('slipway.slipway-'));
    assert.ok(installed, `the VSIX did not install into ${extensionsDir}: ${readdirSync(extensionsDir).join(', ')}`);

    const resultsFile = join(scratch, 'results.json');
    server = await startCodeServer({
      folder,
      extensionsDir,
      userDataDir,
      env: {
        SLIPWAY_HOME: join(scratch, 'home'),
        SLIPWAY_VSCODE_TEST_RESULTS: resultsFile,
        VSCODE_OPTIONS: 'enable-smoke-test-driver',
      },
    });
    const remote = (path: string) => `vscode-remote://127.0.0.1:${server!.port}${path}`;
    const payload = [
      ['extensionDevelopmentPath', remote(join(extensionsDir, installed))],
      ['extensionTestsPath', remote(testsBundle)],
    ];
    workbench = await openWorkbench(
      `${server.url}?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    );

    // Written in one call: wait until it is there and reads whole.
    const results = await waitFor(
      `the in-host runner to write its results to ${resultsFile} (did the extension host load ${testsBundle}?)`,
      () => {
        if (!existsSync(resultsFile)) return undefined;
        try {
          return JSON.parse(readFileSync(resultsFile, 'utf8')) as InHostResults;
        } catch {
          return undefined;
        }
      },
      { timeoutMs: RESULTS_TIMEOUT_MS, intervalMs: 250 },
    );
    for (const t of results.tests)
      console.log(
        `      in host: ${t.state === 'passed' ? 'passed' : t.state.toUpperCase()}  ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`,
      );
    const failed = results.tests.filter((t) => t.state === 'failed').map((t) => `${t.title}\n${t.error}`);
    assert.equal(results.error, undefined, `the in-host suite did not run: ${results.error}`);
    assert.equal(results.failures, 0, `in-host failures:\n${failed.join('\n\n')}`);
    assert.equal(results.pending, 0, 'in-host tests were skipped');
    assert.ok(results.passes >= 5, `only ${results.passes} in-host tests passed`);
  });
});
