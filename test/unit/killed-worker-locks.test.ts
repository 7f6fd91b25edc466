import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { selfIdentity } from '../../environments/lock';
import { envNames } from '../../environments/naming';
import { clearKilledWorkerLocks } from '../../environments/pulumi/leftovers';
import type { WorkerRequest, WorkerSettings } from '../../environments/pulumi/protocol';
import { withEnvLock } from '../../environments/pulumi/recovery';
import { lockPath } from '../../environments/records';

describe('locks left by a killed stack worker', () => {
  let home: string;
  let settings: WorkerSettings;
  const names = envNames('shop', 'feature/killed');
  const envLock = () => lockPath(home, names.project, names.env);
  const backendLock = () =>
    join(home, 'state', '.pulumi', 'locks', 'organization', names.pulumiProject, names.stack, 'lock.json');
  /** A pid no process has any more. */
  const deadPid = () => spawnSync('true').pid as number;
  const hold = (owner: string) => {
    mkdirSync(dirname(envLock()), { recursive: true });
    writeFileSync(envLock(), owner);
    mkdirSync(dirname(backendLock()), { recursive: true });
    writeFileSync(backendLock(), '{"pid": 1}');
  };

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'slipway-locks-'));
    settings = {
      home,
      backendUrl: `file://${join(home, 'state')}`,
      stateId: '',
      dockerHost: '',
      pulumiRoot: '',
      nodePath: '',
      passphrase: '',
      lockTimeoutMs: 1000,
    };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const request = (): WorkerRequest => ({ op: 'down', project: 'shop', branch: 'feature/killed', settings });

  it('removes the backend’s lock and the environment’s when the dead worker held them', () => {
    const pid = deadPid();
    hold(String(pid));
    clearKilledWorkerLocks(request(), pid);
    assert.equal(existsSync(backendLock()), false);
    assert.equal(existsSync(envLock()), false);
  });

  it('removes the backend’s lock first: a clear that stops at the environment’s lock has unlocked the backend', () => {
    const pid = deadPid();
    hold(String(pid));
    // The environment's lock cannot be moved aside (a folder is in the way): the clear stops there,
    // as a CLI killed between the two removals would.
    mkdirSync(join(`${envLock()}.${process.pid}.stale`, 'in-the-way'), { recursive: true });
    assert.throws(() => clearKilledWorkerLocks(request(), pid));
    assert.equal(existsSync(backendLock()), false);
    assert.equal(existsSync(envLock()), true, 'the environment’s lock stays, its holder dead, for the next operation');
  });

  it('leaves both when a live process, or another dead one, holds the environment', () => {
    hold(selfIdentity());
    clearKilledWorkerLocks(request(), process.pid);
    assert.ok(existsSync(backendLock()) && existsSync(envLock()), 'a live holder keeps its locks');
    const other = deadPid();
    hold(String(other));
    clearKilledWorkerLocks(request(), deadPid());
    assert.ok(existsSync(backendLock()) && existsSync(envLock()), 'another process’s locks are not the worker’s');
  });

  it('leaves a clear killed after the backend’s lock to the next operation, which finds the holder dead and clears it again', async () => {
    // What a CLI killed between the two removals leaves: the environment's lock of the dead worker,
    // and (written again here) the backend's lock.
    const pid = deadPid();
    hold(String(pid));
    let interrupted: boolean | undefined;
    await withEnvLock(
      settings,
      names,
      new AbortController().signal,
      () => undefined,
      async (stale) => {
        interrupted = stale;
        assert.equal(existsSync(backendLock()), false, 'the backend is unlocked before the operation runs');
      },
    );
    assert.equal(interrupted, true);
    assert.equal(existsSync(envLock()), false);
  });
});
