import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evaluateGates,
  listApprovals,
  loadGateResults,
  recordApproval,
  saveGateResults,
  type GateContext,
  type GateResult,
} from '../../environments/pipeline/gates';
import { LicensePolicy } from '../../environments/pipeline/gates/licenses';
import type { GateSpec } from '../../environments/spec/types';
import { waitFor } from '../wait';

const COMMIT = 'c0ffee1234567890c0ffee1234567890c0ffee12';
const AUTHOR = 'author@example.com';
/** Monday 5 January 2026, 08:30 UTC: 09:30 in Berlin (CET, UTC+1). */
const MONDAY_0830_UTC = new Date('2026-01-05T08:30:00Z');
const TOKEN = 'ghp_do-not-leak-this-token-123456';

type Gate<K extends GateSpec['kind']> = Extract<GateSpec, { kind: K }>;

describe('pipeline gates', () => {
  let root: string;
  let home: string;
  let specDir: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'slipway-gates-'));
    home = join(root, 'home');
    specDir = join(root, 'project');
    mkdirSync(specDir, { recursive: true });
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  /** A context for the source environment `feature-x`, healthy and without drift unless overridden. */
  function context(overrides: Partial<GateContext> = {}): GateContext {
    return {
      project: 'shop',
      env: 'feature-x-abc123',
      branch: 'feature/x',
      commit: COMMIT,
      author: AUTHOR,
      specDir,
      home,
      now: () => MONDAY_0830_UTC,
      processEnv: {},
      fetch,
      health: async () => ({ ok: true, services: [{ service: 'web', state: 'running', health: 'healthy' }] }),
      drift: async () => ({ drifted: false, count: 0, summary: [] }),
      ...overrides,
    };
  }

  function run(gates: GateSpec[], ctx = context(), opts?: Parameters<typeof evaluateGates>[2]): Promise<GateResult[]> {
    return evaluateGates({ name: 'staging', gates }, ctx, opts);
  }

  async function one(gate: GateSpec, ctx = context(), opts?: Parameters<typeof evaluateGates>[2]): Promise<GateResult> {
    const [result] = await run([gate], ctx, opts);
    return result;
  }

  /** A fresh folder under the test's root. */
  function folder(name: string): string {
    const path = join(root, name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  function writeJson(path: string, value: unknown): string {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, JSON.stringify(value));
    return path;
  }

  describe('the runner', () => {
    it('returns one result per gate, in order, with its stage, name, kind and timing', async () => {
      const seen: string[] = [];
      const results = await run(
        [
          { kind: 'health', name: 'health' },
          { kind: 'command', name: 'tests', run: 'true', timeoutMs: 10_000 },
        ],
        context(),
        { onResult: (r) => seen.push(r.name) },
      );
      assert.deepStrictEqual(
        results.map((r) => [r.stage, r.name, r.kind, r.state]),
        [
          ['staging', 'health', 'health', 'pass'],
          ['staging', 'tests', 'command', 'pass'],
        ],
      );
      assert.deepStrictEqual(seen.sort(), ['health', 'tests']);
      for (const r of results) {
        assert.equal(r.startedAt, MONDAY_0830_UTC.toISOString());
        assert.ok(Number.isInteger(r.durationMs) && r.durationMs >= 0);
      }
    });

    it('runs gates in parallel: each of two commands finishes only once it has seen the other start', async () => {
      const dir = folder('parallel');
      // Run one after the other, the first command would wait for the second until its timeout.
      const command = (self: string, other: string) =>
        `touch ${self}.started; until [ -e ${other}.started ]; do sleep 0.02; done`;
      const results = await run([
        { kind: 'command', name: 'one', run: command('one', 'two'), timeoutMs: 5_000, cwd: dir },
        { kind: 'command', name: 'two', run: command('two', 'one'), timeoutMs: 5_000, cwd: dir },
      ]);
      assert.deepStrictEqual(
        results.map((r) => [r.name, r.state]),
        [
          ['one', 'pass'],
          ['two', 'pass'],
        ],
        JSON.stringify(results.map((r) => r.reason)),
      );
    });

    it('fails a gate that exceeds the default timeout', async () => {
      const never = context({ health: () => new Promise(() => undefined) });
      const result = await one({ kind: 'health', name: 'health' }, never, { defaultTimeoutMs: 200 });
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, 'timed out after 0.2s');
    });

    it("hands the drift and health checks the gate's own signal, which its timeout aborts, and waits for the drift check to stop", async () => {
      const outer = new AbortController();
      let stoppedAt = 0;
      const seen: Record<string, AbortSignal | undefined> = {};
      const ctx = context({
        signal: outer.signal,
        // A check that stops only when its signal aborts, and takes 300 ms to do so (a worker being
        // cancelled): that delay is what is tested, the result must wait for it.
        drift: (signal) => {
          seen.drift = signal;
          return new Promise((_resolve, reject) =>
            signal?.addEventListener(
              'abort',
              () => setTimeout(() => ((stoppedAt = Date.now()), reject(new Error('cancelled'))), 300),
              { once: true },
            ),
          );
        },
        health: (signal) => {
          seen.health = signal;
          return new Promise(() => undefined);
        },
      });
      const results = await run(
        [
          { kind: 'drift', name: 'drift' },
          { kind: 'health', name: 'health' },
        ],
        ctx,
        { defaultTimeoutMs: 100 },
      );
      assert.deepStrictEqual(
        results.map((r) => [r.state, r.reason]),
        [
          ['fail', 'timed out after 0.1s'],
          ['fail', 'timed out after 0.1s'],
        ],
      );
      for (const kind of ['drift', 'health']) {
        assert.ok(seen[kind] && seen[kind] !== outer.signal, `${kind} got the outer signal, not its own`);
        assert.equal(seen[kind]!.aborted, true, `${kind}'s timeout did not reach its check`);
      }
      assert.equal(outer.signal.aborted, false);
      assert.ok(stoppedAt > 0 && stoppedAt <= Date.now(), 'the result came before the drift check had stopped');
    });

    it('fails a gate whose check throws, saying why', async () => {
      const broken = context({ drift: async () => Promise.reject(new Error('docker is not answering')) });
      const result = await one({ kind: 'drift', name: 'drift' }, broken);
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, 'the gate could not be evaluated: docker is not answering');
    });

    it('marks unfinished gates skipped when the run is cancelled, and stops their commands', async () => {
      const dir = folder('cancel');
      const controller = new AbortController();
      const decided: string[] = [];
      const pending = run(
        [
          { kind: 'health', name: 'health' },
          { kind: 'command', name: 'slow', run: 'echo $$ > sh.pid; sleep 30', timeoutMs: 60_000, cwd: dir },
        ],
        context({ signal: controller.signal }),
        { onResult: (r) => decided.push(r.name) },
      );
      await waitFor(
        'the health gate to decide and the slow command to start',
        () => decided.includes('health') && readPid(join(dir, 'sh.pid')) !== undefined,
        { timeoutMs: 5000 },
      );
      controller.abort();
      const results = await pending;
      assert.deepStrictEqual(
        results.map((r) => [r.name, r.state]),
        [
          ['health', 'pass'],
          ['slow', 'skipped'],
        ],
      );
      assert.equal(results[1].reason, 'the run was cancelled before this gate finished');
      await assertStopped(readPid(join(dir, 'sh.pid')));
    });

    it('skips every gate of a run cancelled before it starts', async () => {
      const results = await run([{ kind: 'health', name: 'health' }], context({ signal: AbortSignal.abort() }));
      assert.deepStrictEqual(
        results.map((r) => r.state),
        ['skipped'],
      );
    });
  });

  describe('health and drift', () => {
    it('passes a healthy environment and lists its services', async () => {
      const result = await one({ kind: 'health', name: 'health' });
      assert.equal(result.state, 'pass');
      assert.deepStrictEqual(result.evidence.services, [{ service: 'web', state: 'running', health: 'healthy' }]);
    });

    it('fails an unhealthy environment and names the services (not a job that completed)', async () => {
      const services = [
        { service: 'web', state: 'running', health: 'healthy' },
        { service: 'migrate', state: 'completed', health: 'none' },
        { service: 'api', state: 'running', health: 'unhealthy' },
        { service: 'worker', state: 'exited', health: 'none' },
      ];
      const result = await one(
        { kind: 'health', name: 'health' },
        context({ health: async () => ({ ok: false, services }) }),
      );
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, 'the environment is not healthy: api (running, unhealthy), worker (exited, none)');
      assert.deepStrictEqual(result.evidence.services, services);
    });

    it('passes without drift and fails with it, showing the summary', async () => {
      assert.equal((await one({ kind: 'drift', name: 'drift' })).state, 'pass');
      const summary = ['container web env.GREETING: declared hello, actual hi'];
      const result = await one(
        { kind: 'drift', name: 'drift' },
        context({ drift: async () => ({ drifted: true, count: 1, summary }) }),
      );
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, '1 difference(s) between what was declared and what runs');
      assert.deepStrictEqual(result.evidence, { count: 1, summary });
    });
  });

  describe('command', () => {
    it('passes on exit 0, runs in the spec folder by default and keeps the output', async () => {
      const result = await one({ kind: 'command', name: 'tests', run: 'pwd; echo done >&2', timeoutMs: 10_000 });
      assert.equal(result.state, 'pass');
      assert.equal(result.reason, '"pwd; echo done >&2" exited with 0');
      assert.equal(result.evidence.exitCode, 0);
      assert.equal(result.evidence.cwd, specDir);
      assert.equal(result.evidence.outputTail, `${specDir}\ndone`);
    });

    it('fails on a non-zero exit with the last 40 lines of output', async () => {
      const result = await one({
        kind: 'command',
        name: 'tests',
        run: 'for i in $(seq 1 100); do echo line $i; done; exit 3',
        timeoutMs: 10_000,
      });
      assert.equal(result.state, 'fail');
      assert.match(result.reason, /exited with 3$/);
      assert.equal(result.evidence.exitCode, 3);
      const lines = String(result.evidence.outputTail).split('\n');
      assert.equal(lines.length, 40);
      assert.equal(lines[0], 'line 61');
      assert.equal(lines[39], 'line 100');
    });

    it('runs in its cwd, and fails when that folder is missing', async () => {
      const dir = folder('cmd-cwd');
      writeFileSync(join(dir, 'marker'), 'here\n');
      assert.equal(
        (await one({ kind: 'command', name: 'c', run: 'cat marker', timeoutMs: 10_000, cwd: dir })).state,
        'pass',
      );
      const missing = join(root, 'no-such-folder');
      const result = await one({ kind: 'command', name: 'c', run: 'true', timeoutMs: 10_000, cwd: missing });
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, `cannot run "true": its folder ${missing} does not exist`);
    });

    it('kills the whole process group on timeout and fails', async () => {
      const dir = folder('timeout');
      // `sleep 300` cannot end by itself within this test's time: the result coming at all, and the
      // process being gone below, show that the run killed the command rather than waited for it.
      const result = await one({
        kind: 'command',
        name: 'hang',
        run: 'sleep 300 & echo $! > child.pid; echo $$ > sh.pid; echo started; wait',
        timeoutMs: 500,
        cwd: dir,
      });
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, 'timed out after 0.5s');
      assert.equal(result.evidence.outputTail, 'started');
      await assertStopped(readPid(join(dir, 'sh.pid')));
      await assertStopped(readPid(join(dir, 'child.pid')));
    });
  });

  describe('vulnerabilities', () => {
    /** An npm 7+ audit report with these findings (package name -> severity). */
    function auditReport(findings: Record<string, string>): unknown {
      const counts: Record<string, number> = { info: 0, low: 0, moderate: 0, high: 0, critical: 0 };
      const vulnerabilities: Record<string, unknown> = {};
      for (const [name, severity] of Object.entries(findings)) {
        counts[severity]++;
        vulnerabilities[name] = {
          name,
          severity,
          isDirect: true,
          via: [],
          effects: [],
          range: '*',
          nodes: [],
          fixAvailable: true,
        };
      }
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return {
        auditReportVersion: 2,
        vulnerabilities,
        metadata: { vulnerabilities: { ...counts, total }, dependencies: { total: 10 } },
      };
    }

    it('fails on a finding at or above maxSeverity, listing counts and packages', async () => {
      const report = writeJson(
        join(root, 'audit', 'high.json'),
        auditReport({ lodash: 'high', minimist: 'critical', debug: 'low' }),
      );
      const result = await one({ kind: 'vulnerabilities', name: 'vulnerabilities', report, maxSeverity: 'high' });
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, '2 vulnerabilities at or above high: 1 high, 1 critical');
      assert.deepStrictEqual(result.evidence.counts, { info: 0, low: 1, moderate: 0, high: 1, critical: 1 });
      assert.deepStrictEqual(result.evidence.packages, ['minimist (critical)', 'lodash (high)']);
    });

    it('passes when every finding is below maxSeverity', async () => {
      const report = writeJson(join(root, 'audit', 'low.json'), auditReport({ debug: 'low', ms: 'moderate' }));
      const result = await one({ kind: 'vulnerabilities', name: 'vulnerabilities', report, maxSeverity: 'high' });
      assert.equal(result.state, 'pass');
      assert.equal(result.reason, 'no vulnerability at or above high (2 below it)');
      const strict = await one({ kind: 'vulnerabilities', name: 'vulnerabilities', report, maxSeverity: 'moderate' });
      assert.equal(strict.state, 'fail');
    });

    it('fails with a clear reason when the report is missing', async () => {
      const report = join(root, 'audit', 'missing.json');
      const result = await one({ kind: 'vulnerabilities', name: 'vulnerabilities', report, maxSeverity: 'high' });
      assert.equal(result.state, 'fail');
      assert.match(result.reason, /^no npm audit report at .*missing\.json; write it first with "npm audit --json > /);
    });

    it('runs npm audit --json without a report: passes a project with no findings', async function () {
      this.timeout(60_000);
      const dir = folder('audit-clean');
      writeJson(join(dir, 'package.json'), { name: 'clean', version: '1.0.0' });
      writeJson(join(dir, 'package-lock.json'), {
        name: 'clean',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'clean', version: '1.0.0' } },
      });
      const result = await one({ kind: 'vulnerabilities', name: 'vulnerabilities', maxSeverity: 'high', cwd: dir });
      assert.equal(result.state, 'pass', result.reason);
      assert.deepStrictEqual(result.evidence.counts, { info: 0, low: 0, moderate: 0, high: 0, critical: 0 });
    });

    it('runs npm audit --json without a report: fails when npm audit cannot run', async function () {
      this.timeout(60_000);
      const dir = folder('audit-nolock');
      writeJson(join(dir, 'package.json'), { name: 'nolock', version: '1.0.0' });
      const result = await one({ kind: 'vulnerabilities', name: 'vulnerabilities', maxSeverity: 'high', cwd: dir });
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, 'npm audit failed: This command requires an existing lockfile.');
    });
  });

  describe('licenses', () => {
    let project: string;

    /** A package folder with this package.json under `under` (a node_modules folder). */
    function install(under: string, pkg: Record<string, unknown>): string {
      const dir = join(under, String(pkg.name));
      writeJson(join(dir, 'package.json'), pkg);
      return dir;
    }

    before(() => {
      project = folder('licenses');
      const modules = join(project, 'node_modules');
      const a = install(modules, { name: 'a', version: '1.0.0', license: 'MIT' });
      install(modules, { name: '@scope/b', version: '2.0.0', license: '(MIT OR GPL-3.0)' });
      install(join(a, 'node_modules'), { name: 'c', version: '0.1.0', license: 'GPL-3.0-only' });
      install(modules, { name: 'd', version: '1.0.0', license: 'Apache-2.0 AND MIT' });
      install(modules, { name: 'e', version: '1.0.0', licenses: [{ type: 'BSD-3-Clause' }, { type: 'WTFPL' }] });
      mkdirSync(join(modules, '.bin'), { recursive: true });
    });

    it('reads scoped and nested packages and fails on a denied license', async () => {
      const result = await one({
        kind: 'licenses',
        name: 'licenses',
        allow: [],
        deny: ['GPL-3.0', 'AGPL-3.0'],
        cwd: project,
      });
      assert.equal(result.state, 'fail');
      assert.equal(
        result.reason,
        '1 of 5 installed packages have unacceptable licenses: c@0.1.0: GPL-3.0-only (denied)',
      );
      assert.equal(result.evidence.packages, 5);
      assert.deepStrictEqual(result.evidence.offenders, ['c@0.1.0: GPL-3.0-only (denied)']);
      assert.deepStrictEqual(result.evidence.byLicense, {
        MIT: 1,
        '(MIT OR GPL-3.0)': 1,
        'GPL-3.0-only': 1,
        'Apache-2.0 AND MIT': 1,
        '(BSD-3-Clause OR WTFPL)': 1,
      });
    });

    it('fails on a license that is not allowed, and passes when all are', async () => {
      const allow = ['MIT', 'Apache-2.0', 'BSD-3-Clause'];
      const strict = await one({ kind: 'licenses', name: 'licenses', allow, deny: [], cwd: project });
      assert.equal(strict.state, 'fail');
      assert.deepStrictEqual(strict.evidence.offenders, ['c@0.1.0: GPL-3.0-only (not allowed)']);
      const result = await one({
        kind: 'licenses',
        name: 'licenses',
        allow: [...allow, 'GPL-3.0'],
        deny: [],
        cwd: project,
      });
      assert.equal(result.state, 'pass', result.reason);
      assert.equal(result.reason, 'all 5 installed packages have acceptable licenses');
    });

    it('fails without node_modules', async () => {
      const dir = folder('no-modules');
      const result = await one({ kind: 'licenses', name: 'licenses', allow: ['MIT'], deny: [], cwd: dir });
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, `no node_modules in ${dir}; install the dependencies (npm ci) before this gate runs`);
    });

    it('judges SPDX expressions: OR needs one acceptable license, AND needs all', () => {
      const policy = new LicensePolicy(['MIT', 'Apache-2.0', 'GPL-2.0 WITH Classpath-exception-2.0'], ['GPL-3.0']);
      const cases: Array<[string | undefined, string | undefined]> = [
        ['MIT', undefined],
        ['mit', undefined],
        ['(MIT OR GPL-3.0)', undefined],
        ['MIT or Apache-2.0', undefined],
        ['MIT AND Apache-2.0', undefined],
        ['(MIT AND (Apache-2.0 OR GPL-3.0+))', undefined],
        ['GPL-2.0-only WITH Classpath-exception-2.0', undefined],
        ['MIT AND GPL-3.0-or-later', 'denied'],
        ['GPL-3.0+', 'denied'],
        ['ISC', 'not allowed'],
        ['(ISC OR BSD-2-Clause)', 'not allowed'],
        ['SEE LICENSE IN LICENSE.md', 'not allowed'],
        ['MIT AND (', 'not allowed'],
        [undefined, 'no license'],
      ];
      for (const [license, expected] of cases) assert.equal(policy.problem(license), expected, String(license));
      assert.equal(new LicensePolicy([], ['GPL-3.0']).problem(undefined), undefined);
    });
  });

  describe('coverage', () => {
    const summary = (pct: number | string): unknown => ({
      total: {
        lines: { total: 100, covered: 85, skipped: 0, pct },
        statements: { total: 100, covered: 85, skipped: 0, pct },
        functions: { total: 10, covered: 9, skipped: 0, pct: 90 },
        branches: { total: 20, covered: 10, skipped: 0, pct: 50 },
      },
    });

    it('passes at or above min and fails below it', async () => {
      const file = writeJson(join(root, 'cov', 'ok', 'coverage-summary.json'), summary(85));
      const pass = await one({ kind: 'coverage', name: 'coverage', summary: file, metric: 'lines', min: 80 });
      assert.equal(pass.state, 'pass');
      assert.deepStrictEqual(pass.evidence, { pct: 85, min: 80, metric: 'lines', summary: file });
      const branches = await one({ kind: 'coverage', name: 'coverage', summary: file, metric: 'branches', min: 80 });
      assert.equal(branches.state, 'fail');
      assert.equal(branches.reason, 'branches coverage is 50%, below the required 80%');
    });

    it('fails when the summary is missing or measured nothing', async () => {
      const missing = join(root, 'cov', 'none', 'coverage-summary.json');
      const result = await one({ kind: 'coverage', name: 'coverage', summary: missing, metric: 'lines', min: 80 });
      assert.equal(result.state, 'fail');
      assert.match(result.reason, /^no coverage summary at .*; run the tests with the json-summary reporter/);
      const unknown = writeJson(join(root, 'cov', 'unknown', 'coverage-summary.json'), summary('Unknown'));
      const empty = await one({ kind: 'coverage', name: 'coverage', summary: unknown, metric: 'lines', min: 80 });
      assert.equal(empty.state, 'fail');
      assert.match(empty.reason, /has no percentage for total\.lines/);
    });
  });

  describe('window', () => {
    const berlin: Gate<'window'> = {
      kind: 'window',
      name: 'window',
      timezone: 'Europe/Berlin',
      allow: ['Mon-Fri 09:00-17:00'],
      freeze: [],
    };
    const at = (iso: string): GateContext => context({ now: () => new Date(iso) });

    it('reads allowed ranges in the gate time zone: 08:30 UTC in winter is 09:30 in Berlin', async () => {
      const result = await one(berlin, at('2026-01-05T08:30:00Z'));
      assert.equal(result.state, 'pass');
      assert.equal(result.reason, 'Mon 2026-01-05 09:30 (Europe/Berlin) is inside Mon-Fri 09:00-17:00');
      assert.equal(result.evidence.localTime, 'Mon 2026-01-05 09:30');
      assert.equal(result.evidence.matched, 'Mon-Fri 09:00-17:00');
    });

    it('is closed at the same instant in UTC and New York, and names the next opening', async () => {
      const utc = await one({ ...berlin, timezone: 'UTC' }, at('2026-01-05T08:30:00Z'));
      assert.equal(utc.state, 'fail');
      assert.equal(
        utc.reason,
        'Mon 2026-01-05 08:30 (UTC) is outside the allowed windows (Mon-Fri 09:00-17:00); next opening Mon 2026-01-05 09:00',
      );
      assert.deepStrictEqual(utc.evidence.nextOpening, {
        at: '2026-01-05T09:00:00.000Z',
        local: 'Mon 2026-01-05 09:00',
      });
      const newYork = await one({ ...berlin, timezone: 'America/New_York' }, at('2026-01-05T08:30:00Z'));
      assert.equal(newYork.state, 'fail');
      assert.deepStrictEqual(newYork.evidence.nextOpening, {
        at: '2026-01-05T14:00:00.000Z',
        local: 'Mon 2026-01-05 09:00',
      });
    });

    it('follows summer time: 07:30 UTC in July is 09:30 in Berlin', async () => {
      assert.equal((await one(berlin, at('2026-07-06T07:30:00Z'))).state, 'pass');
      assert.equal((await one(berlin, at('2026-07-06T06:30:00Z'))).state, 'fail');
    });

    it('is closed at the weekend until Monday morning', async () => {
      const result = await one(berlin, at('2026-01-03T10:00:00Z'));
      assert.equal(result.state, 'fail');
      assert.deepStrictEqual(result.evidence.nextOpening, {
        at: '2026-01-05T08:00:00.000Z',
        local: 'Mon 2026-01-05 09:00',
      });
    });

    it('blocks during a freeze and allows after it', async () => {
      const gate: Gate<'window'> = {
        ...berlin,
        freeze: [{ from: '2026-12-20T00:00', to: '2027-01-02T00:00', reason: 'holidays' }],
      };
      const during = await one(gate, at('2026-12-30T10:00:00Z'));
      assert.equal(during.state, 'fail');
      assert.equal(
        during.reason,
        'promotion is frozen until 2027-01-02 00:00 (Europe/Berlin): holidays; next opening Mon 2027-01-04 09:00',
      );
      assert.deepStrictEqual(during.evidence.freeze, {
        from: '2026-12-20T00:00',
        to: '2027-01-02T00:00',
        reason: 'holidays',
      });
      // The freeze starts at midnight in Berlin, which is 23:00 UTC the day before.
      assert.equal((await one(gate, at('2026-12-19T22:59:00Z'))).state, 'fail', 'Saturday, outside the allowed range');
      const noAllow: Gate<'window'> = { ...gate, allow: [] };
      assert.equal((await one(noAllow, at('2026-12-19T22:59:00Z'))).state, 'pass');
      assert.equal((await one(noAllow, at('2026-12-19T23:00:00Z'))).state, 'fail');
      const after = await one(gate, at('2027-01-04T08:00:00Z'));
      assert.equal(after.state, 'pass', after.reason);
      assert.equal((await one(noAllow, at('2027-01-01T23:00:00Z'))).state, 'pass', 'the end is not part of the freeze');
    });
  });

  describe('checks (GitHub check runs)', () => {
    let server: Server;
    let apiUrl: string;
    /** The check runs the server reports, by commit. */
    let runsByCommit: Record<string, Array<{ id: number; name: string; status: string; conclusion: string | null }>>;
    let requests: IncomingMessage[];
    let answer: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;

    before(async () => {
      server = createServer((req, res) => {
        requests.push(req);
        if (answer?.(req, res)) return;
        const url = new URL(req.url ?? '/', 'http://localhost');
        const match = /^\/repos\/acme\/shop\/commits\/([0-9a-f]+)\/check-runs$/.exec(url.pathname);
        const send = (status: number, body: unknown): void => {
          res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
        };
        if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: 'Bad credentials' });
        if (!match || url.searchParams.get('per_page') !== '100') return send(404, { message: 'Not Found' });
        const runs = runsByCommit[match[1]] ?? [];
        send(200, { total_count: runs.length, check_runs: runs });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // The token goes only to allowed hosts: the user lists the local server (loopback, so http is accepted).
      mkdirSync(home, { recursive: true });
      writeFileSync(join(home, 'settings.json'), JSON.stringify({ 'slipway.checks.allowedHosts': ['127.0.0.1'] }));
    });

    after(async () => {
      rmSync(join(home, 'settings.json'), { force: true });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    beforeEach(() => {
      runsByCommit = {};
      requests = [];
      answer = undefined;
    });

    const gate = (required: string[] = ['test']): Gate<'checks'> => ({
      kind: 'checks',
      name: 'checks',
      repository: 'acme/shop',
      apiUrl,
      tokenEnv: 'GITHUB_TOKEN',
      required,
    });
    const withToken = (): GateContext => context({ processEnv: { GITHUB_TOKEN: TOKEN } });

    it('passes when the required runs succeeded, sending the GitHub headers', async () => {
      runsByCommit[COMMIT] = [
        { id: 1, name: 'test', status: 'completed', conclusion: 'success' },
        { id: 2, name: 'lint', status: 'completed', conclusion: 'failure' },
      ];
      const result = await one(gate(), withToken());
      assert.equal(result.state, 'pass', result.reason);
      assert.equal(result.reason, '1 check run succeeded: test');
      assert.equal(requests.length, 1);
      assert.equal(requests[0].headers.accept, 'application/vnd.github+json');
      assert.equal(requests[0].headers['x-github-api-version'], '2022-11-28');
      assert.deepStrictEqual(result.evidence.runs, [
        { name: 'lint', status: 'completed', conclusion: 'failure' },
        { name: 'test', status: 'completed', conclusion: 'success' },
      ]);
    });

    it('judges every run when none is required, and fails on a bad conclusion', async () => {
      runsByCommit[COMMIT] = [
        { id: 1, name: 'test', status: 'completed', conclusion: 'success' },
        { id: 2, name: 'lint', status: 'completed', conclusion: 'failure' },
        { id: 3, name: 'docs', status: 'completed', conclusion: 'skipped' },
      ];
      const result = await one(gate([]), withToken());
      assert.equal(result.state, 'fail');
      assert.equal(result.reason, 'check run lint (failure) did not succeed');
    });

    it('is pending while a required run is missing or not completed', async () => {
      runsByCommit[COMMIT] = [{ id: 1, name: 'test', status: 'in_progress', conclusion: null }];
      const result = await one(gate(['test', 'e2e']), withToken());
      assert.equal(result.state, 'pending');
      assert.equal(result.reason, 'waiting for check runs test (in progress), e2e (not reported yet)');
    });

    it('uses the newest run of a name (a re-run)', async () => {
      runsByCommit[COMMIT] = [
        { id: 7, name: 'test', status: 'completed', conclusion: 'success' },
        { id: 5, name: 'test', status: 'completed', conclusion: 'failure' },
      ];
      assert.equal((await one(gate(), withToken())).state, 'pass');
    });

    it('fails on an HTTP error with its status and message, and says what to do', async () => {
      const result = await one(gate(), context());
      assert.equal(requests[0].headers.authorization, undefined, 'no token, no Authorization header');
      assert.equal(result.state, 'fail');
      assert.equal(
        result.reason,
        'GitHub answered 401 Unauthorized: Bad credentials; set GITHUB_TOKEN to a token that can read checks of acme/shop',
      );
      assert.equal(result.evidence.authenticated, false);
    });

    it('fails when the API cannot be reached', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const result = await one({ ...gate(), apiUrl: `http://127.0.0.1:${port}` }, withToken());
      assert.equal(result.state, 'fail');
      assert.match(result.reason, new RegExp(`^could not reach http://127\\.0\\.0\\.1:${port}: `));
    });

    it('never puts the token in results or errors', async () => {
      // A server that echoes what it was sent, and a command that prints its environment.
      answer = (req, res) => {
        res
          .writeHead(403, { 'Content-Type': 'application/json' })
          .end(JSON.stringify({ message: `denied for ${req.headers.authorization}` }));
        return true;
      };
      const results = await run(
        [gate(), { kind: 'command', name: 'env', run: 'echo "token=$GITHUB_TOKEN"; exit 1', timeoutMs: 10_000 }],
        withToken(),
      );
      assert.equal(requests[0].headers.authorization, `Bearer ${TOKEN}`);
      assert.deepStrictEqual(
        results.map((r) => r.state),
        ['fail', 'fail'],
      );
      assert.equal(
        results[0].reason,
        'GitHub answered 403 Forbidden: denied for Bearer ***; check that the token in GITHUB_TOKEN can read checks of acme/shop',
      );
      assert.equal(results[1].evidence.outputTail, 'token=***');
      saveGateResults(home, 'shop', 'leak-check', COMMIT, results);
      const stored = readFileSync(join(home, 'gates', 'shop', 'leak-check', `${COMMIT}.json`), 'utf8');
      for (const text of [JSON.stringify(results), stored]) assert.ok(!text.includes(TOKEN), 'the token leaked');
    });
  });

  describe('results and approvals on disk', () => {
    const result = (name: string, state: GateResult['state'], startedAt: string): GateResult => ({
      stage: 'staging',
      name,
      kind: 'health',
      state,
      reason: `${name} is ${state}`,
      evidence: { services: [] },
      startedAt,
      durationMs: 3,
    });

    it('saves and loads results, merging by stage and name (newest wins)', () => {
      const store = folder('results');
      assert.deepStrictEqual(loadGateResults(store, 'shop', 'env-1', COMMIT), []);
      const first = [
        result('health', 'fail', '2026-01-05T08:00:00.000Z'),
        result('drift', 'pass', '2026-01-05T08:00:00.000Z'),
      ];
      saveGateResults(store, 'shop', 'env-1', COMMIT, first);
      assert.deepStrictEqual(loadGateResults(store, 'shop', 'env-1', COMMIT), first);
      const newer = result('health', 'pass', '2026-01-05T09:00:00.000Z');
      const older = result('drift', 'fail', '2026-01-05T07:00:00.000Z');
      const production = { ...result('health', 'pending', '2026-01-05T09:00:00.000Z'), stage: 'production' };
      saveGateResults(store, 'shop', 'env-1', COMMIT, [newer, older, production]);
      assert.deepStrictEqual(loadGateResults(store, 'shop', 'env-1', COMMIT), [newer, first[1], production]);
      assert.deepStrictEqual(loadGateResults(store, 'shop', 'env-1', 'f'.repeat(40)), []);
    });

    it('round-trips real results', async () => {
      const store = folder('results-real');
      const results = await run([
        { kind: 'health', name: 'health' },
        { kind: 'command', name: 'tests', run: 'echo ok', timeoutMs: 10_000 },
      ]);
      saveGateResults(store, 'shop', 'env-2', COMMIT, results);
      assert.deepStrictEqual(loadGateResults(store, 'shop', 'env-2', COMMIT), results);
    });

    it('appends approvals as JSON lines and refuses names that leave the folder', () => {
      const store = folder('approvals-file');
      const approval = {
        project: 'shop',
        env: 'env-3',
        commit: COMMIT,
        stage: 'staging',
        approver: 'alice@example.com',
        at: '2026-01-05T08:00:00.000Z',
      };
      recordApproval(store, { ...approval, comment: 'looks good' });
      recordApproval(store, { ...approval, approver: 'bob@example.com' });
      const lines = readFileSync(join(store, 'approvals', 'shop', 'env-3.jsonl'), 'utf8')
        .trim()
        .split('\n');
      assert.deepStrictEqual(
        lines.map((l) => JSON.parse(l) as unknown),
        [
          { ...approval, comment: 'looks good' },
          { ...approval, approver: 'bob@example.com' },
        ],
      );
      assert.deepStrictEqual(
        listApprovals(store, 'shop', 'env-3', COMMIT, 'staging').map((a) => a.approver),
        ['alice@example.com', 'bob@example.com'],
      );
      assert.throws(() => recordApproval(store, { ...approval, env: '../escape' }), TypeError);
      assert.throws(() => saveGateResults(store, 'shop', '..', COMMIT, []), TypeError);
    });
  });
});

/** The pid written in a file, once it is there. */
function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a process is running (a zombie waiting for its parent to reap it is not). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Fails unless the process is gone (within a second: a signal is delivered asynchronously). */
async function assertStopped(pid: number | undefined): Promise<void> {
  assert.ok(pid !== undefined, 'the command never wrote its pid');
  await waitFor(`process ${pid} to stop`, () => !isRunning(pid), { timeoutMs: 1000, intervalMs: 20 }).catch(() =>
    assert.fail(`process ${pid} is still running`),
  );
}
