/**
 * Seeded databases beyond `up`, on the real Docker Engine, Pulumi and PostgreSQL: two `data seed`
 * of one environment never run at once, a promotion into a `seed: same` stage carries the data
 * profile (refused while the source is unavailable, then seeded from the same snapshot, its policy
 * hash in the release and the history), and `data sync --watch` re-seeds on the schedule.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { databaseHostUrl } from '../../environments/data/preview-seed';
import { readSeedRecord } from '../../environments/data/seed-record';
import type { DatabaseSpec } from '../../environments/spec/types';
import { envNames, stageBranch } from '../../environments/naming';
import { readReleases } from '../../environments/pipeline/releases';
import { POLICY, seededSpec, seedSource } from './masking-source';
import { query, startPostgres, type PostgresServer } from './postgres';
import {
  CLI,
  RUN,
  docker,
  git,
  jsonData,
  labelled,
  removeDir,
  removeSnapshots,
  requireEngines,
  runCli,
  tempHome,
} from './helpers';

const PROJECT = `seedpromo-${RUN}`;

function exited(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('seeding: the seed lock, promotion with seed: same, data sync --watch (real Docker, Pulumi, PostgreSQL)', function () {
  this.timeout(20 * 60 * 1000);
  let home: string;
  let dir: string;
  let spec: string;
  let server: PostgresServer;
  let source: string;
  let personal: Set<string>;
  const branch = `seedpromo-${RUN}`;
  const env = () => ({ SEED_SOURCE_URL: source });
  const cli = (args: string[], extra: NodeJS.ProcessEnv = env()) =>
    runCli([...args, '--spec', spec], home, undefined, extra);
  const dbUrl = async (b: string) => {
    const r = await cli(['url', '--branch', b, '--database', 'db', '--show-secrets']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim();
  };

  before(async () => {
    await requireEngines();
    home = tempHome('seedpromo');
    dir = join(home, 'project');
    server = await startPostgres();
    source = await server.createDatabase('source');
    const client = new pg.Client({ connectionString: source });
    await client.connect();
    personal = await seedSource(client, 40).finally(() => client.end());
    git(['init', '-q', '-b', 'main', dir], home);
    git(['config', 'user.email', 'dev@example.com'], dir);
    git(['config', 'user.name', 'Dev'], dir);
    writeFileSync(join(dir, 'masking.yaml'), POLICY);
    spec = join(dir, 'slipway.yaml');
    writeFileSync(
      spec,
      seededSpec(PROJECT, ['pipeline:', '  stages:', '    - preview', '    - { name: staging, seed: same }']),
    );
    git(['add', '-A'], dir);
    git(['commit', '-q', '-m', 'seeded project'], dir);
    const up = await cli(['up', '--branch', branch]);
    assert.equal(up.code, 0, up.stderr);
  });

  after(async () => {
    if (spec) {
      await cli(['down', '--branch', branch]).catch(() => undefined);
      await cli(['down', '--stage', 'staging', '--yes']).catch(() => undefined);
    }
    await docker
      .getContainer(`slipway-snapshots-${PROJECT}`)
      .remove({ force: true })
      .catch(() => undefined);
    await docker
      .getVolume(`slipway-snapshots-${PROJECT}-data`)
      .remove()
      .catch(() => undefined);
    await removeSnapshots(PROJECT);
    await server?.stop();
    if (home) removeDir(home);
  });

  it('runs two `data seed` of one environment one after the other: the second waits, their spans never overlap', async () => {
    const seed = () => cli(['data', 'seed', '--branch', branch, '--json', '--events']);
    const [a, b] = await Promise.all([seed(), new Promise((r) => setTimeout(r, 300)).then(seed)]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const waited = [a.stdout, b.stdout].filter((r) =>
      /"waiting for another seed of this environment to finish \(pid \d+\)"/.test(r),
    );
    assert.equal(waited.length, 1, `${a.stdout}\n---\n${b.stdout}`);
    const span = (r: typeof a) => {
      const d = jsonData<{ at: string; durationMs: number; rows: number }>(r.stdout.trim().split('\n').at(-1)!);
      const end = Date.parse(d.at);
      return [end - d.durationMs, end] as const;
    };
    const [sa, sb] = [span(a), span(b)];
    assert.ok(sa[1] <= sb[0] || sb[1] <= sa[0], `the seeds overlapped: ${JSON.stringify([sa, sb])}`);
    const [{ n }] = await query<{ n: number }>(await dbUrl(branch), 'SELECT count(*)::int AS n FROM crm.customers');
    assert.equal(n, 40, 'one whole copy, not two interleaved');
  });

  it('refuses to promote into a seed: same stage while the source is unavailable, before anything is deployed', async () => {
    const r = await cli(['promote', '--from', branch, '--to', 'staging', '--json'], { SEED_SOURCE_URL: '' });
    assert.equal(r.code, 1, r.stderr);
    const error = (JSON.parse(r.stdout) as { error: { reason: string; message: string; hint: string } }).error;
    assert.equal(error.reason, 'seed-source-missing');
    assert.match(error.message, /SEED_SOURCE_URL, which is not set/);
    assert.match(error.hint, /Stage staging is seeded from the same source \(seed: same\), so nothing was promoted/);
    assert.equal((await labelled(PROJECT, stageBranch('staging'))).containers.length, 0);
    assert.equal(readReleases(home, PROJECT, 'staging').releases.length, 0);
  });

  it('promotes into a seed: same stage: seeded from the same snapshot, the policy hash in the release and the history', async () => {
    const r = await cli(['promote', '--from', branch, '--to', 'staging', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const names = envNames(PROJECT, branch);
    const preview = readSeedRecord(home, names.project, names.env)!.databases.db;
    const stage = envNames(PROJECT, stageBranch('staging'));
    const staged = readSeedRecord(home, stage.project, stage.env)?.databases.db;
    assert.ok(staged, 'the stage has a seed record');
    assert.equal(staged.policyHash, preview.policyHash);
    assert.equal(staged.snapshot, preview.snapshot, 'cloned from the snapshot the preview started from');

    const [release] = readReleases(home, PROJECT, 'staging').releases;
    assert.deepEqual(release.seed, {
      seed: 'same',
      databases: {
        db: {
          policy: 'masking.yaml',
          policyHash: preview.policyHash,
          source: preview.source,
          snapshot: preview.snapshot,
        },
      },
    });
    // The stage's database holds the masked copy: the same masked emails as the preview, none of the source's.
    const stageUrl = await databaseHostUrl(docker, stage.container('db'), {
      user: 'app',
      database: 'db',
    } as DatabaseSpec);
    const emails = async (u: string) =>
      (await query<{ email: string }>(u, 'SELECT email FROM crm.customers ORDER BY id')).map((x) => x.email);
    const staging = await emails(stageUrl);
    assert.equal(staging.length, 40);
    assert.deepEqual(staging, await emails(await dbUrl(branch)));
    assert.ok(!staging.some((e) => personal.has(e)));

    const history = await cli(['history', '--stage', 'staging', '--json']);
    assert.equal(history.code, 0, history.stderr);
    const promoted = jsonData<{ entries: Array<{ action: string; note?: string }> }>(history.stdout).entries.find(
      (e) => e.action === 'promote',
    );
    assert.equal(promoted?.note, `data seeded with db: masking.yaml sha256:${preview.policyHash.slice(0, 12)}`);
    const text = await cli(['history', '--stage', 'staging']);
    assert.match(
      text.stdout,
      /promote staging from branch .* release 1 \(data seeded with db: masking\.yaml sha256:[0-9a-f]{12}\)/,
    );
  });

  it('data sync --watch re-seeds the running branch when the schedule fires, until Ctrl+C', async () => {
    writeFileSync(
      spec,
      readFileSync(spec, 'utf8').replace('policy: masking.yaml }', 'policy: masking.yaml, schedule: "*/2 * * * * *" }'),
    );
    const before = readSeedRecord(home, envNames(PROJECT, branch).project, envNames(PROJECT, branch).env)!.databases.db;
    const watcher = spawn(process.execPath, [CLI, 'data', 'sync', '--watch', '--spec', spec, '--json'], {
      env: { ...process.env, SLIPWAY_HOME: home, SEED_SOURCE_URL: source },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = exited(watcher);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no sync within 120 s')), 120_000);
      watcher.stdout!.once('data', () => (clearTimeout(timer), resolve()));
    });
    watcher.kill('SIGINT');
    const r = await done;
    const first = jsonData<{ databases: Array<{ database: string; reseeded: string[]; rows: number }> }>(
      r.stdout.split('\n')[0],
    );
    assert.deepEqual(
      first.databases.map((d) => [d.database, d.reseeded]),
      [['db', [branch]]],
      r.stderr,
    );
    const after = readSeedRecord(home, envNames(PROJECT, branch).project, envNames(PROJECT, branch).env)!.databases.db;
    assert.ok(Date.parse(after.at) > Date.parse(before.at), 'the record shows the new seed');
    assert.equal(r.code, 0, `Ctrl+C ends the watch (exit ${r.code}): ${r.stderr}`);
  });
});
