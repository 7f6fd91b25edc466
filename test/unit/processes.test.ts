/**
 * Ending what a dead stack worker left running: real processes, marked through their
 * environment, in process groups of their own (as Pulumi starts its plugins).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { WORKER_MARK, endWorkerProcesses, markedProcesses } from '../../environments/processes';

/** The worker pid this test marks its processes with (no real worker has it now). */
const DEAD_WORKER = 4_000_001;

function sleeper(mark?: number): ChildProcess {
  const env = { ...process.env };
  delete env[WORKER_MARK];
  if (mark !== undefined) env[WORKER_MARK] = String(mark);
  return spawn('sleep', ['60'], { env, detached: true, stdio: 'ignore' });
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | null> {
  return new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null
      ? resolve(child.signalCode)
      : child.once('exit', (_c, sig) => resolve(sig)),
  );
}

describe("ending a dead worker's processes", () => {
  const started: ChildProcess[] = [];
  after(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('ends every process carrying its mark, each in a group of its own, and nothing else', async () => {
    const marked = [sleeper(DEAD_WORKER), sleeper(DEAD_WORKER)];
    const other = sleeper(DEAD_WORKER + 1);
    const unmarked = sleeper();
    started.push(...marked, other, unmarked);
    await new Promise((r) => setTimeout(r, 200));

    assert.deepEqual(markedProcesses(DEAD_WORKER).sort(), marked.map((c) => c.pid!).sort());
    assert.equal(await endWorkerProcesses(DEAD_WORKER, { group: false }), 2);
    assert.deepEqual(await Promise.all(marked.map(exited)), ['SIGKILL', 'SIGKILL']);
    assert.deepEqual(markedProcesses(DEAD_WORKER), []);
    assert.equal(other.exitCode ?? other.signalCode, null, "another worker's process keeps running");
    assert.equal(unmarked.exitCode ?? unmarked.signalCode, null, 'an unmarked process keeps running');
  });
});
