import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../environments/errors';
import { acquireLock, createExclusive, lockOwner } from '../../environments/lock';
import { secretsPassphrase } from '../../environments/paths';

describe('environment lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the owner pid and releases it', async () => {
    const file = join(dir, 'a.lock');
    const lock = await acquireLock(file, 'env a', { timeoutMs: 1000 });
    assert.equal(readFileSync(file, 'utf8'), String(process.pid));
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
    writeFileSync(file, String(process.ppid)); // a live process that is not us
    let waitedFor = 0;
    await assert.rejects(
      acquireLock(file, 'env c', { timeoutMs: 300, onWait: (pid) => (waitedFor = pid) }),
      (err: unknown) => SlipwayError.is(err, 'environment-locked') && /pid \d+/.test((err as Error).message),
    );
    assert.equal(waitedFor, process.ppid);
    assert.equal(readFileSync(file, 'utf8'), String(process.ppid), "a live owner's lock is never taken");
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
      assert.ok(runs.every((p) => p.length >= 20), JSON.stringify(runs));
      assert.equal(new Set([...runs, secretsPassphrase(home)]).size, 1);
    } finally {
      if (saved !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE = saved;
    }
  });
});
