/**
 * The supervised share gateway: a gateway process that does not listen within the start timeout
 * is killed (a real child process, started detached as the gateway is), and the error says so.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../environments/errors';
import { ensureGateway, liveGateway } from '../../environments/share/supervise';
import { waitFor } from '../wait';

const NEVER_LISTENS = join(__dirname, '..', 'fixtures', 'gateway-never-listens.cjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('share gateway supervision', function () {
  this.timeout(30_000);
  let home: string;
  let pid: number | undefined;

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'slipway-gateway-'));
    pid = undefined;
  });

  afterEach(() => {
    if (pid !== undefined && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('kills a gateway process that does not start listening in time', async () => {
    const pidFile = join(home, 'never-listens.pid');
    await assert.rejects(ensureGateway(home, { cli: NEVER_LISTENS, startTimeoutMs: 1_500 }), (err: unknown) => {
      assert.ok(SlipwayError.is(err));
      assert.equal(err.reason, 'operation-failed');
      assert.match(err.message, /did not start on 127\.0\.0\.1:\d+ within 1\.5s; its process was stopped/);
      return true;
    });
    assert.ok(existsSync(pidFile), 'the gateway process ran');
    pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor('the gateway process to be gone', () => !alive(pid!), { timeoutMs: 5_000 });
    assert.equal(liveGateway(home), undefined, 'no gateway is recorded as running');
  });
});
