/**
 * `slipway state migrate --to postgres://...` killed with SIGKILL in the middle of its copy (a real
 * PostgreSQL; SLIPWAY_TEST_MIGRATE_PAUSE_AFTER holds it after some items so the kill lands there)
 * leaves nothing of its items behind; run again, it says the earlier run was interrupted and copies
 * every record, release, approval and audit entry exactly once, a log that an older migration had
 * begun is completed rather than doubled, the audit chain verifies in the database, and a third run
 * copies nothing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { appendAudit, auditPath } from '../../environments/pipeline/audit';
import { recordApproval } from '../../environments/pipeline/gates/store';
import { writeReleases } from '../../environments/pipeline/releases';
import { rebuildRecord, writeRecord } from '../../environments/records';
import { CLI, jsonData, removeDir, RUN, runCli, tempHome } from './helpers';
import { startPostgres, type PostgresServer } from './postgres';

const RECORDS = 40;
const STAGES = ['staging', 'production', 'qa'];
const APPROVALS = 6;
const AUDIT = 30;

interface Migrated {
  copied: Record<string, number>;
  unchanged: number;
  interrupted?: { to: string; startedAt: string };
  continued?: number;
}

describe('an interrupted slipway state migrate (real PostgreSQL, SIGKILL mid-copy)', function () {
  this.timeout(10 * 60 * 1000);
  const project = `resume-${RUN}`;
  let server: PostgresServer;
  let home: string;
  let url: string;
  let client: pg.Client;
  const specFile = () => join(home, 'slipway.yaml');
  const count = async (sql: string, params: unknown[] = []) =>
    Number((await client.query<{ n: string }>(sql, params)).rows[0].n);

  before(async () => {
    server = await startPostgres();
    url = await server.createDatabase('resume');
    client = new pg.Client({ connectionString: url });
    await client.connect();
    home = tempHome('mig-resume');
    writeFileSync(
      specFile(),
      `version: 1\nname: ${project}\nservices:\n  web:\n    image: slipway/busybox:local\npipeline:\n  stages: [preview, ${STAGES.join(', ')}]\n`,
    );
    const at = '2026-01-05T08:00:00.000Z';
    for (let i = 0; i < RECORDS; i++)
      writeRecord(
        home,
        rebuildRecord({ project, env: `b${i}`, branch: `feature-${i}`, services: ['web'], databases: [] }, at),
      );
    for (const stage of STAGES)
      writeReleases(home, {
        project,
        stage,
        current: 1,
        releases: [
          {
            number: 1,
            at,
            by: 'dev@corp.test',
            from: { kind: 'branch', name: 'feature-0', env: 'b0' },
            images: { web: 'sha256:1' },
            services: [],
            databases: [],
          },
        ],
      });
    for (let i = 0; i < APPROVALS; i++)
      recordApproval(home, { project, env: 'b0', commit: `c${i}`, stage: 'staging', approver: `r${i}@corp.test`, at });
    for (let i = 0; i < AUDIT; i++)
      await appendAudit(home, project, { at, actor: 'dev@corp.test', action: 'promote', stage: 'staging', release: i });
  });

  after(async () => {
    await client?.end();
    await server?.stop();
    if (home) removeDir(home);
  });

  it('leaves nothing of a run killed mid-copy, and the next run copies everything exactly once', async () => {
    const files = await runCli(['history', '--verify', '--json', '--spec', specFile()], home, 120_000, {
      SLIPWAY_STATE_URL: '',
    });
    assert.equal(files.code, 0, files.stderr);

    // Killed after 20 items of its transaction.
    const child = spawn(process.execPath, [CLI, 'state', 'migrate', '--to', url], {
      env: { ...process.env, SLIPWAY_HOME: home, SLIPWAY_STATE_URL: '', SLIPWAY_TEST_MIGRATE_PAUSE_AFTER: '20' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the migration never paused:\n${stderr}`)), 120_000);
      child.stderr.on('data', () => stderr.includes('paused after 20 items') && (clearTimeout(timer), resolve()));
      void exited.then(() => (clearTimeout(timer), reject(new Error(`the migration ended first:\n${stderr}`))));
    });
    // The 20 items are written inside the open transaction (seen by the database, not yet committed).
    assert.ok(
      (await count('SELECT count(*) AS n FROM pg_stat_activity WHERE state = $1', ['idle in transaction'])) >= 1,
    );
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    for (const table of [
      'slipway_records',
      'slipway_releases',
      'slipway_approvals',
      'slipway_audit',
      'slipway_audit_heads',
    ])
      assert.equal(await count(`SELECT count(*) AS n FROM ${table}`), 0, `${table} holds rows of the killed run`);

    // As an older migration (one item at a time) would have left it: the audit log's first 10 lines.
    const auditLines = readFileSync(auditPath(home, project), 'utf8').trim().split('\n');
    for (const [i, line] of auditLines.slice(0, 10).entries())
      await client.query('INSERT INTO slipway_audit (key, seq, line) VALUES ($1, $2, $3)', [project, i + 1, line]);

    const again = await runCli(['state', 'migrate', '--to', url, '--json'], home, 300_000, { SLIPWAY_STATE_URL: '' });
    assert.equal(again.code, 0, again.stderr);
    const result = jsonData<Migrated>(again.stdout);
    assert.ok(result.interrupted, JSON.stringify(result));
    assert.equal(result.continued, 1);
    assert.equal(result.copied.slipway_records, RECORDS);
    assert.equal(result.copied.slipway_releases, STAGES.length);
    assert.equal(result.copied.slipway_approvals, 1);
    assert.equal(result.copied.slipway_audit, 1);

    // Each once: every record and release, every approval and audit line, in order.
    assert.equal(await count('SELECT count(DISTINCT key) AS n FROM slipway_records'), RECORDS);
    assert.equal(await count('SELECT count(*) AS n FROM slipway_records'), RECORDS);
    assert.equal(await count('SELECT count(*) AS n FROM slipway_releases'), STAGES.length);
    assert.equal(await count('SELECT count(*) AS n FROM slipway_approvals'), APPROVALS);
    assert.equal(await count('SELECT count(DISTINCT line) AS n FROM slipway_approvals'), APPROVALS);
    assert.equal(await count('SELECT count(*) AS n FROM slipway_audit'), AUDIT);
    const stored = await client.query<{ line: string }>('SELECT line FROM slipway_audit WHERE key = $1 ORDER BY seq', [
      project,
    ]);
    assert.deepEqual(
      stored.rows.map((r) => r.line),
      auditLines,
    );
    const verify = await runCli(['history', '--verify', '--json', '--spec', specFile()], home, 120_000, {
      SLIPWAY_STATE_URL: url,
    });
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    assert.deepEqual(jsonData(verify.stdout), { ok: true, entries: AUDIT });

    // Once more: nothing new, nothing doubled, no interrupted run to mention.
    const third = jsonData<Migrated>(
      (await runCli(['state', 'migrate', '--to', url, '--json'], home, 300_000, { SLIPWAY_STATE_URL: '' })).stdout,
    );
    assert.deepEqual(third.copied, {});
    assert.equal(third.interrupted, undefined);
    assert.ok(third.unchanged >= RECORDS + STAGES.length + 2, JSON.stringify(third));
    assert.equal(await count('SELECT count(*) AS n FROM slipway_audit'), AUDIT);
  });

  it('says so in words when a run follows an interrupted one', async () => {
    // An interrupted run's mark, as a killed process leaves it.
    writeFileSync(
      join(home, 'state-migrate.running.json'),
      JSON.stringify({ to: 'postgres://127.0.0.1/resume', startedAt: '2026-01-05T09:00:00.000Z', pid: 1 }),
    );
    const r = await runCli(['state', 'migrate', '--to', url], home, 300_000, { SLIPWAY_STATE_URL: '' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /an earlier migration to postgres:\/\/127\.0\.0\.1\/resume \(started 2026-01-05T09:00:00\.000Z\) was interrupted: it committed none of its items/,
    );
    assert.match(r.stdout, /nothing new/);
  });

  it('a run that fails in its transaction commits nothing and leaves no mark: the next one is not told of an interruption', async () => {
    const other = tempHome('mig-failed');
    try {
      const failing = await server.createDatabase('failed');
      writeRecord(
        other,
        rebuildRecord(
          { project, env: 'ok', branch: 'feature-ok', services: ['web'], databases: [] },
          '2026-01-05T08:00:00.000Z',
        ),
      );
      // A record PostgreSQL refuses as jsonb: the transaction fails after the mark was written.
      mkdirSync(join(other, 'envs', project), { recursive: true });
      writeFileSync(join(other, 'envs', project, 'zz-broken.json'), '{ not json');
      const first = await runCli(['state', 'migrate', '--to', failing], other, 300_000, { SLIPWAY_STATE_URL: '' });
      assert.notEqual(first.code, 0, first.stdout);
      assert.match(first.stderr, /json/i);
      assert.equal(existsSync(join(other, 'state-migrate.running.json')), false);
      const db = new pg.Client({ connectionString: failing });
      await db.connect();
      try {
        assert.equal(Number((await db.query('SELECT count(*) AS n FROM slipway_records')).rows[0].n), 0);
      } finally {
        await db.end();
      }
      writeFileSync(join(other, 'envs', project, 'zz-broken.json'), '{}');
      const again = await runCli(['state', 'migrate', '--to', failing, '--json'], other, 300_000, {
        SLIPWAY_STATE_URL: '',
      });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(jsonData<Migrated>(again.stdout).interrupted, undefined);
    } finally {
      removeDir(other);
    }
  });
});
