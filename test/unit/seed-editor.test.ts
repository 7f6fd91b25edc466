/**
 * The pieces behind the editor's seeded databases, in plain Node: a failed check's columns placed
 * in the policy file, the seed lock that keeps two seeds of one environment apart, the cron
 * scheduler (single-flighted) and the progress line of a seed event.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unsafeColumnIssues } from '../../environments/data/check-issues';
import { SeedScheduler } from '../../environments/data/schedule';
import { seedLockPath, withSeedLock } from '../../environments/data/seed-lock';
import type { SlipwayEvent } from '../../environments/events';
import type { DatabaseSpec } from '../../environments/spec/types';
import { describeEvent } from '../../extension/format';

const POLICY = `version: 1
schemas:
  crm:
    tables:
      customers:
        columns:
          id: keep
          email: email
          notes: keep
      orders:
        columns: { id: keep }
`;

describe('seeded databases in the editor', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'slipway-seed-editor-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('places each unsafe column at its own rule, else its table entry, else the top of the policy', () => {
    const file = join(dir, 'masking.yaml');
    writeFileSync(file, POLICY);
    const issues = unsafeColumnIssues(file, [
      { schema: 'crm', table: 'customers', column: 'notes', problem: 'personal-kept', why: 'it looks personal' },
      { schema: 'crm', table: 'orders', column: 'contact', problem: 'no-rule', why: 'no rule names this column' },
      { schema: 'crm', table: 'refunds', column: 'iban', problem: 'no-rule', why: 'no rule names this column' },
      { schema: 'audit', table: 'log', column: 'who', problem: 'no-rule', why: 'no rule names this column' },
    ]);
    assert.deepEqual(
      issues.map((i) => [i.file, i.line, i.column, i.field, i.message]),
      [
        [file, 9, 11, 'crm.customers.notes', 'it looks personal'],
        [file, 10, 7, 'crm.orders.contact', 'no rule names this column'],
        [file, 1, 1, 'crm.refunds.iban', 'no rule names this column'],
        [file, 1, 1, 'audit.log.who', 'no rule names this column'],
      ],
    );
    // A policy the editor holds unsaved is read from its text, not the disk.
    const edited = POLICY.replace('      orders:', '      refunds:\n        columns: { id: keep }\n      orders:');
    const [, , refunds] = unsafeColumnIssues(
      file,
      [
        { schema: 'crm', table: 'customers', column: 'notes', problem: 'personal-kept', why: 'x' },
        { schema: 'crm', table: 'orders', column: 'contact', problem: 'no-rule', why: 'y' },
        { schema: 'crm', table: 'refunds', column: 'iban', problem: 'no-rule', why: 'z' },
      ],
      edited,
    );
    assert.deepEqual([refunds.line, refunds.column], [10, 7]);
  });

  it('a policy that no longer parses puts every column at its top', () => {
    const file = join(dir, 'broken.masking.yaml');
    writeFileSync(file, 'schemas: [unclosed\n');
    const [issue] = unsafeColumnIssues(file, [
      { schema: 'crm', table: 'customers', column: 'notes', problem: 'no-rule', why: 'w' },
    ]);
    assert.deepEqual([issue.line, issue.column, issue.field], [1, 1, 'crm.customers.notes']);
  });

  it('runs two seeds of one environment one after the other, saying that the second waits', async () => {
    const target = { home: dir, project: 'shop', env: 'main-abc123' };
    const events: SlipwayEvent[] = [];
    const spans: Array<[string, number, number]> = [];
    const seed = (name: string, ms: number) =>
      withSeedLock(target, 'db', { onEvent: (e) => events.push(e) }, async () => {
        const start = Date.now();
        assert.ok(existsSync(seedLockPath(dir, 'shop', 'main-abc123')));
        await new Promise((r) => setTimeout(r, ms));
        spans.push([name, start, Date.now()]);
      });
    await Promise.all([seed('first', 600), new Promise((r) => setTimeout(r, 50)).then(() => seed('second', 50))]);
    assert.deepEqual(
      spans.map((s) => s[0]),
      ['first', 'second'],
    );
    assert.ok(
      spans[1][1] >= spans[0][2],
      `the second started at ${spans[1][1]}, before the first ended at ${spans[0][2]}`,
    );
    assert.ok(
      events.some(
        (e) =>
          e.type === 'seed' &&
          /waiting for another seed of this environment to finish \(pid \d+\)/.test(e.message ?? ''),
      ),
      JSON.stringify(events),
    );
    assert.ok(!existsSync(seedLockPath(dir, 'shop', 'main-abc123')), 'the lock is released');
    // Another environment is not held up.
    const other = { ...target, env: 'feature-def456' };
    let ran = false;
    await withSeedLock(target, 'db', {}, () => withSeedLock(other, 'db', { timeoutMs: 100 }, async () => (ran = true)));
    assert.ok(ran);
  });

  it('single-flights scheduled runs: a schedule firing during a run runs once after it, never at the same time', async () => {
    const db = (name: string, schedule?: string) =>
      ({ name, seed: { source: { env: 'X' }, policy: '/p', ...(schedule ? { schedule } : {}) } }) as DatabaseSpec;
    let active = 0;
    let most = 0;
    const runs: string[][] = [];
    const scheduler = new SeedScheduler({ databases: [db('db'), db('audit')] }, async ({ databases }) => {
      active++;
      most = Math.max(most, active);
      runs.push(databases);
      await new Promise((r) => setTimeout(r, 200));
      active--;
    });
    assert.deepEqual(scheduler.upcoming(), [], 'no schedule, no timer');
    scheduler.fire(['db']);
    scheduler.fire(['db']);
    scheduler.fire(['audit']);
    assert.ok(scheduler.busy);
    await scheduler.idle();
    assert.equal(most, 1);
    assert.deepEqual(runs, [['db'], ['db', 'audit']]);
    scheduler.stop();
  });

  it('fires on the cron schedule and keeps going after a failed run', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const scheduler = new SeedScheduler(
      {
        databases: [
          { name: 'db', seed: { source: { env: 'X' }, policy: '/p', schedule: '* * * * * *' } } as DatabaseSpec,
        ],
      },
      async () => {
        calls++;
        if (calls === 1) throw new Error('source down');
      },
      (err) => errors.push(err),
    );
    const [next] = scheduler.upcoming();
    assert.equal(next.database, 'db');
    assert.ok(next.at.getTime() - Date.now() <= 1000);
    scheduler.start();
    const deadline = Date.now() + 5000;
    while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    scheduler.stop();
    assert.ok(calls >= 2, `ran ${calls} time(s) in 5 s on an every-second schedule`);
    assert.equal((errors[0] as Error).message, 'source down');
  });

  it('shows a seed event as a progress line: a step, or a table with rows and rows/s', () => {
    assert.equal(
      describeEvent({ type: 'seed', database: 'db', table: 'crm.customers', rows: 12000, rowsPerSecond: 45210 }),
      'db crm.customers: 12,000 rows (45,210 rows/s)',
    );
    assert.equal(
      describeEvent({ type: 'seed', database: 'db', table: 'crm.orders', rows: 5, rowsPerSecond: 9, done: true }),
      'db crm.orders: 5 rows (9 rows/s) done',
    );
    assert.equal(
      describeEvent({ type: 'seed', database: 'db', message: 'cloning the snapshot snap_1' }),
      'db: cloning the snapshot snap_1',
    );
  });
});
