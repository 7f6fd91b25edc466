/**
 * The CLI's JSON contract on the real Docker Engine and Pulumi: up, status, url, logs, list,
 * drift, restart and down with --json (and --events) each print what schemas/cli/ describes
 * (runCli checks every --json answer against its schema), flags before the command included.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { checkJsonOutput } from '../cli-json';
import {
  SHOP_SPEC,
  forceDown,
  getStatus,
  jsonData,
  labelled,
  pollFor,
  RUN,
  removeDir,
  requireEngines,
  runCli,
  startCli,
  tempHome,
} from './helpers';

interface UpJson {
  env: string;
  status: string;
  urls: Record<string, string>;
}

/** The `{ event }` lines of an NDJSON answer. */
function events(stdout: string): Array<{ type: string }> {
  return stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event?: { type: string } })
    .flatMap((d) => (d.event ? [d.event] : []));
}

describe('the CLI JSON contract on real Docker + Pulumi', function () {
  this.timeout(15 * 60 * 1000);
  const branch = `json-contract-${RUN}`;
  let home: string;
  const at = ['--spec', SHOP_SPEC, '--branch', branch];

  before(async () => {
    await requireEngines();
    home = tempHome('json');
  });

  after(async () => {
    await forceDown(SHOP_SPEC, branch, home);
    removeDir(home);
  });

  it('up, status, url, logs, list, drift, restart and down answer in their schemas, and --events streams progress first', async () => {
    const up = await runCli(['up', ...at, '--json', '--events'], home);
    assert.equal(up.code, 0, up.stderr);
    const upEvents = events(up.stdout);
    assert.ok(
      upEvents.some((e) => e.type === 'resource'),
      'up --events streamed resource events',
    );
    assert.equal(up.stderr.includes('create '), false, 'with --json the progress is not also printed for people');
    const result = jsonData<UpJson>(up.stdout);
    assert.equal(result.status, 'running');
    assert.equal(await getStatus(`${result.urls.web}/healthz`), 200);

    // Flags before the command mean the same as after it.
    const status = await runCli(['--json', ...at, 'status'], home);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(jsonData<{ env: string; status: string }>(status.stdout).env, result.env);
    assert.equal(jsonData<{ status: string }>(status.stdout).status, 'running');

    const url = await runCli(['url', 'web', ...at, '--json'], home);
    assert.equal(jsonData<{ url: string }>(url.stdout).url, result.urls.web);

    const logs = await runCli(['logs', 'web', ...at, '--tail', '20', '--json'], home);
    assert.equal(logs.code, 0, logs.stderr);
    const lines = jsonData<{ lines: string[]; streamed: boolean }>(logs.stdout);
    assert.equal(lines.streamed, false);
    assert.ok(lines.lines.length > 0, 'the web service logged something');

    // Following: one { event: log } line per log line, until a signal ends it.
    const follow = startCli(['logs', '--follow', 'web', ...at, '--json'], home);
    let followed = '';
    follow.stdout!.on('data', (d) => (followed += d));
    // The tail comes first: once a log event is out, the CLI is following (and handles the signal).
    await pollFor('logs --follow --json to print a log event', () => followed.includes('"type":"log"') || undefined);
    await getStatus(`${result.urls.web}/healthz`);
    follow.kill('SIGINT');
    const [code] = (await once(follow, 'close')) as [number | null];
    assert.ok(code === 0 || code === 130, `logs --follow ended with ${code}`);
    checkJsonOutput(['logs', '--follow', 'web', '--json'], followed);
    assert.ok(
      events(followed).some((e) => e.type === 'log'),
      'followed lines came as log events',
    );

    const list = await runCli(['list', '--spec', SHOP_SPEC, '--json'], home);
    assert.ok(jsonData<Array<{ branch: string }>>(list.stdout).some((s) => s.branch === branch));

    const drift = await runCli(['drift', ...at, '--json'], home);
    assert.equal(drift.code, 0, drift.stderr);
    assert.equal(jsonData<{ drifted: boolean }>(drift.stdout).drifted, false);

    const restart = await runCli(['restart', 'web', ...at, '--json'], home);
    assert.equal(restart.code, 0, restart.stderr);
    assert.equal(jsonData<{ status: string }>(restart.stdout).status, 'healthy');

    const down = await runCli(['down', ...at, '--json', '--events'], home);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(jsonData<{ status: string }>(down.stdout).status, 'absent');
    assert.ok(events(down.stdout).length > 0, 'down --events streamed progress');
    const left = await labelled('shop', branch);
    assert.deepEqual([left.containers.length, left.networks.length, left.volumes.length], [0, 0, 0]);

    const gone = await runCli(['status', ...at, '--json'], home);
    assert.equal(gone.code, 1);
    assert.equal((JSON.parse(gone.stdout) as { data: null; error: { reason: string } }).error.reason, 'not-found');
  });
});
