import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../environments/errors';
import {
  acquireLock,
  createExclusive,
  lockOwner,
  processStart,
  removeLockOf,
  selfIdentity,
} from '../../environments/lock';
import { secretsPassphrase } from '../../environments/paths';
import { waitFor } from '../wait';

describe('environment lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the owner pid and its start time, and releases it', async () => {
    const file = join(dir, 'a.lock');
    const lock = await acquireLock(file, 'env a', { timeoutMs: 1000 });
    assert.equal(readFileSync(file, 'utf8'), `${process.pid} ${processStart(process.pid)}`);
    assert.equal(readFileSync(file, 'utf8'), selfIdentity());
    assert.equal(lockOwner(file), process.pid);
    lock.release();
    assert.equal(existsSync(file), false);
  });

  it('takes over the lock of a process that died (kill -9) and says so', async () => {
    const file = join(dir, 'b.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(file, dead.stdout);
    let stale = false;
    const lock = await acquireLock(file, 'env b', { timeoutMs: 1000, onStale: () => (stale = true) });
    assert.equal(stale, true);
    assert.equal(lockOwner(file), process.pid);
    lock.release();
  });

  it('waits for a live owner, then fails with environment-locked', async () => {
    const file = join(dir, 'c.lock');
    writeFileSync(file, `${process.ppid} ${processStart(process.ppid)}`); // a live process that is not us
    let waitedFor = 0;
    await assert.rejects(
      acquireLock(file, 'env c', { timeoutMs: 300, onWait: (pid) => (waitedFor = pid) }),
      (err: unknown) => SlipwayError.is(err, 'environment-locked') && /pid \d+/.test((err as Error).message),
    );
    assert.equal(waitedFor, process.ppid);
    assert.equal(
      readFileSync(file, 'utf8'),
      `${process.ppid} ${processStart(process.ppid)}`,
      "a live owner's lock is never taken",
    );
  });

  it('takes over a lock whose pid now belongs to another process (a wrong start time)', async () => {
    const file = join(dir, 'reused.lock');
    const live = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await waitFor('the child process to start', () => processStart(live.pid!) !== undefined);
      const start = processStart(live.pid!)!;
      assert.match(start, /^\d+$/, 'the start time comes from /proc/<pid>/stat');
      assert.notEqual(start, processStart(process.pid));
      // The same pid with its real start time is a live owner...
      writeFileSync(file, `${live.pid} ${start}`);
      assert.equal(lockOwner(file), live.pid);
      await assert.rejects(acquireLock(file, 'env r', { timeoutMs: 100 }), (err: unknown) =>
        SlipwayError.is(err, 'environment-locked'),
      );
      // ...with another start time it is a process that is gone, whose pid was reused.
      writeFileSync(file, `${live.pid} ${Number(start) - 1}`);
      assert.equal(lockOwner(file), undefined);
      let stale = false;
      const lock = await acquireLock(file, 'env r', { timeoutMs: 1000, onStale: () => (stale = true) });
      assert.equal(stale, true);
      assert.equal(lockOwner(file), process.pid);
      lock.release();
      assert.equal(existsSync(file), false);
    } finally {
      live.kill('SIGKILL');
    }
  });

  it('removes the lock of a killed process, and never a live one', async () => {
    const file = join(dir, 'killed.lock');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `require(${JSON.stringify(join(__dirname, '..', '..', 'environments', 'lock.ts'))}).acquireLock(${JSON.stringify(file)}, 'x', { timeoutMs: 1000 }).then(() => setInterval(() => {}, 1000))`,
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor('the child to hold the lock', () => lockOwner(file) === child.pid);
      assert.equal(removeLockOf(file, child.pid!), false, 'its owner still runs');
      assert.equal(existsSync(file), true);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    assert.equal(removeLockOf(file, process.pid), false, 'another process holds it');
    assert.equal(removeLockOf(file, child.pid!), true);
    assert.equal(existsSync(file), false);
  });

  it('survives its folder being removed under it, again and again, by a concurrent clean-up', async function () {
    this.timeout(60_000);
    const folder = join(dir, 'locks', 'shop');
    const file = join(folder, 'interrupted.lock');
    // Another process removes the folder in a tight loop while this one creates, takes and releases locks.
    const cleaner = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const end = Date.now() + 20000; while (Date.now() < end) fs.rmSync(${JSON.stringify(folder)}, { recursive: true, force: true });`,
      ],
      { stdio: 'ignore' },
    );
    try {
      for (let i = 0; i < 300; i++) {
        const lock = await acquireLock(file, 'env i', { timeoutMs: 5000 });
        lock.release();
        createExclusive(join(folder, `other-${i}.lock`), 'x');
      }
    } finally {
      cleaner.kill('SIGKILL');
    }
    rmSync(folder, { recursive: true, force: true });
    assert.equal(createExclusive(file, 'again'), true, 'a missing folder is made again');
    assert.equal(readFileSync(file, 'utf8'), 'again');
  });

  it('creates a file atomically: one creator wins, and its content is complete from the start', () => {
    const file = join(dir, 'd.lock');
    assert.equal(createExclusive(file, '4242'), true);
    assert.equal(createExclusive(file, '9999'), false);
    assert.equal(readFileSync(file, 'utf8'), '4242');
  });

  it('gives concurrent first runs one and the same secrets passphrase', async () => {
    const home = join(dir, 'home');
    const saved = process.env.PULUMI_CONFIG_PASSPHRASE;
    delete process.env.PULUMI_CONFIG_PASSPHRASE;
    try {
      const script = `process.stdout.write(require(${JSON.stringify(join(__dirname, '..', '..', 'environments', 'paths.ts'))}).secretsPassphrase(${JSON.stringify(home)}))`;
      const runs = await Promise.all(
        [1, 2, 3, 4].map(
          () =>
            new Promise<string>((resolve, reject) => {
              const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { env: { ...process.env } });
              let out = '';
              child.stdout.on('data', (d) => (out += d));
              child.on('error', reject);
              child.on('close', () => resolve(out));
            }),
        ),
      );
      assert.ok(
        runs.every((p) => p.length >= 20),
        JSON.stringify(runs),
      );
      assert.equal(new Set([...runs, secretsPassphrase(home)]).size, 1);
    } finally {
      if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
      else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
    }
  });
});
