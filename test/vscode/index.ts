/**
 * The in-host test runner: VS Code loads this module's bundle (dist/vscode-test/index.js) inside
 * the extension host as `--extensionTestsPath` and calls `run()`. It runs the mocha suites of
 * this folder against the real `vscode` API and the Slipway extension the host loaded (the repo
 * under @vscode/test-electron, the installed VSIX under code-server).
 *
 * `run()` rejects when a test fails, which makes the host exit non-zero (@vscode/test-electron
 * reports that). When SLIPWAY_VSCODE_TEST_RESULTS names a file, the results are also written
 * there as JSON: a code-server window has no exit code to read, so the e2e test reads the file.
 */
import { writeFileSync } from 'node:fs';
import Mocha from 'mocha';

export interface InHostTestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export interface InHostResults {
  passes: number;
  failures: number;
  pending: number;
  durationMs: number;
  tests: InHostTestResult[];
  /** Set when the suite could not be loaded or run at all. */
  error?: string;
}

function writeResults(results: InHostResults): void {
  const file = process.env.SLIPWAY_VSCODE_TEST_RESULTS;
  if (file) writeFileSync(file, JSON.stringify(results, null, 2));
}

export async function run(): Promise<void> {
  const started = Date.now();
  const tests: InHostTestResult[] = [];
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec' });
  let runner: Mocha.Runner;
  try {
    // The suites are bundled in; `pre-require` gives them mocha's describe/it globals first.
    mocha.suite.emit('pre-require', globalThis, 'test/vscode/extension.test.ts', mocha);
    await import('./extension.test');
    runner = await new Promise<Mocha.Runner>((resolve) => {
      const r = mocha.run(() => resolve(r));
      r.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      r.on('fail', (t, err: Error) =>
        tests.push({ title: t.fullTitle(), state: 'failed', error: err?.stack ?? String(err) }),
      );
      r.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
    });
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    writeResults({ passes: 0, failures: 1, pending: 0, durationMs: Date.now() - started, tests, error });
    throw err;
  }
  const stats = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
  writeResults({
    passes: stats.passes,
    failures: stats.failures,
    pending: stats.pending,
    durationMs: Date.now() - started,
    tests,
  });
  if (stats.failures > 0) throw new Error(`${stats.failures} in-host test(s) failed`);
}
