/** Phase timings: one collector per operation, kept apart across concurrent operations, summed per phase. */
import assert from 'node:assert/strict';
import {
  TimingCollector,
  collectTimings,
  currentTimings,
  markPhase,
  timePhase,
  timingsTable,
} from '../../environments/timings';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('phase timings', () => {
  it('sums a phase that runs more than once, and counts its runs', async () => {
    const c = new TimingCollector();
    await collectTimings(c, async () => {
      await timePhase('docker list', () => sleep(20));
      await timePhase('docker list', () => sleep(20));
      markPhase('health wait', 150);
    });
    assert.ok(c.phases['docker list'] >= 38, `docker list took ${c.phases['docker list']} ms`);
    assert.equal(c.counts['docker list'], 2);
    assert.equal(c.phases['health wait'], 150);
    assert.deepEqual(Object.keys(c.phases), ['docker list', 'health wait']);
  });

  it('times a phase that throws, and passes the error on', async () => {
    const c = new TimingCollector();
    await assert.rejects(
      collectTimings(c, () =>
        timePhase('pulumi up', async () => {
          await sleep(5);
          throw new Error('boom');
        }),
      ),
      /boom/,
    );
    assert.ok(c.phases['pulumi up'] >= 4);
  });

  it('keeps two concurrent operations apart', async () => {
    const a = new TimingCollector();
    const b = new TimingCollector();
    await Promise.all([
      collectTimings(a, async () => {
        await sleep(5);
        markPhase('a', 1);
      }),
      collectTimings(b, async () => {
        markPhase('b', 2);
        await sleep(5);
        assert.equal(currentTimings(), b);
      }),
    ]);
    assert.deepEqual(a.phases, { a: 1 });
    assert.deepEqual(b.phases, { b: 2 });
  });

  it('does nothing outside an operation that collects', async () => {
    assert.equal(currentTimings(), undefined);
    assert.equal(await timePhase('x', async () => 7), 7);
    markPhase('x', 5); // no collector: dropped, no error
  });

  it('merges phases measured in another process and prints a table', () => {
    const c = new TimingCollector();
    c.add('worker start', 300);
    c.merge({ 'pulumi up': 1200, 'worker start': 100 }, { 'pulumi up': 1 });
    assert.deepEqual(c.phases, { 'worker start': 400, 'pulumi up': 1200 });
    const table = timingsTable(c.phases, 2000, c.counts);
    assert.match(table, /worker start\s+2\s+0\.400s\s+20%/);
    assert.match(table, /pulumi up\s+1\s+1\.200s\s+60%/);
    assert.match(table, /total \(wall\)\s+2\.000s/);
  });
});
