/**
 * A team's state in a real PostgreSQL, through the real CLI on the real Docker Engine and Pulumi:
 * two users (two SLIPWAY_HOMEs, two clones with their own git identities) share one database.
 * Each sees the other's environments, share one release counter and one audit log, promotions
 * of one stage from both serialize, a per-project quota refuses the second user's `up` (and of two
 * racing for the last slot exactly one wins), and a
 * SLIPWAY_HOME moved over with `slipway state migrate` keeps a verifying audit chain.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { envNames } from '../../environments/naming';
import { git, jsonData, removeDir, requireEngines, runCli, RUN, tempHome, type CliResult } from './helpers';
import { startPostgres, type PostgresServer } from './postgres';

const PROJECT = `team-${RUN}`;
const PASSWORD = `pw-${RUN}-not-shown`;
const SPEC = `version: 1
name: ${PROJECT}
services:
  app:
    image: slipway/busybox:local
    command: ["sleep", "3600"]
pipeline:
  stages:
    - preview
    - staging
`;

interface User {
  name: string;
  home: string;
  dir: string;
  env: NodeJS.ProcessEnv;
}

interface EnvJson {
  project: string;
  branch: string;
  owner?: string;
}

interface AuditJson {
  entries: Array<{ seq: number; actor: string; action: string; release?: number }>;
  verification: { ok: boolean; entries: number };
}

describe('team state in PostgreSQL (two users, one database)', function () {
  this.timeout(20 * 60 * 1000);
  let server: PostgresServer;
  let url: string;
  let alice: User;
  let bob: User;
  const branchA = `alice-${RUN}`;
  const branchB = `bob-${RUN}`;
  const homes: string[] = [];

  const cli = (u: User, ...args: string[]): Promise<CliResult> =>
    runCli([...args, '--spec', join(u.dir, 'slipway.yaml')], u.home, 600_000, u.env);

  async function rows<T>(sql: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  function user(name: string, dir: string): User {
    const home = tempHome(`team-${name}`);
    homes.push(home);
    git(['config', 'user.email', `${name}@team.test`], dir);
    git(['config', 'user.name', name], dir);
    return {
      name,
      home,
      dir,
      env: { SLIPWAY_STATE_URL: url, PULUMI_CONFIG_PASSPHRASE: `team-passphrase-${RUN}` },
    };
  }

  before(async () => {
    await requireEngines();
    server = await startPostgres();
    // A password in the URL (trust auth ignores it): it must never be printed.
    url = (await server.createDatabase('team')).replace('postgres@', `postgres:${PASSWORD}@`);
    const origin = tempHome('team-origin');
    homes.push(origin);
    git(['init', '-q', '-b', 'main'], origin);
    writeFileSync(join(origin, 'slipway.yaml'), SPEC);
    git(['-c', 'user.email=lead@team.test', '-c', 'user.name=lead', 'add', '.'], origin);
    git(['-c', 'user.email=lead@team.test', '-c', 'user.name=lead', 'commit', '-qm', 'spec'], origin);
    const cloneB = tempHome('team-bob-ws');
    homes.push(cloneB);
    git(['clone', '-q', origin, cloneB], '/');
    alice = user('alice', origin);
    bob = user('bob', cloneB);
  });

  after(async () => {
    if (alice && bob) {
      for (const [u, b] of [
        [alice, branchA],
        [bob, branchB],
        [bob, `bob-extra-${RUN}`],
        [alice, `alice-race-${RUN}`],
        [bob, `bob-race-${RUN}`],
      ] as const)
        await cli(u, 'down', '--branch', b);
      await cli(alice, 'down', '--stage', 'staging', '--yes');
    }
    await server?.stop();
    for (const h of homes) removeDir(h);
  });

  it('keeps records, Pulumi state and the quota ledger in the database: each user sees the other in list --all', async () => {
    ok(await cli(alice, 'up', '--branch', branchA), 'alice up');
    ok(await cli(bob, 'up', '--branch', branchB), 'bob up');
    for (const u of [alice, bob]) {
      const listed = jsonData<EnvJson[]>((await cli(u, 'list', '--all', '--json')).stdout);
      const mine = listed.filter((e) => e.project === PROJECT).map((e) => [e.branch, e.owner]);
      assert.deepEqual(
        mine.sort(),
        [
          [branchA, 'alice@team.test'],
          [branchB, 'bob@team.test'],
        ],
        `${u.name} sees both`,
      );
    }
    const records = await rows<{ key: string }>('SELECT key FROM slipway_records ORDER BY key');
    const names = [branchA, branchB].map((b) => envNames(PROJECT, b));
    assert.deepEqual(
      records.map((r) => r.key).filter((k) => k.startsWith(`${names[0].project}/`)),
      names.map((n) => `${n.project}/${n.env}`).sort(),
    );
    const stacks = await rows<{ name: string }>('SELECT key AS name FROM pulumi_state');
    assert.ok(
      names.every((n) => stacks.some((s) => s.name.includes(`/${n.stack}.json`))),
      `both stacks are in Pulumi's PostgreSQL backend: ${stacks.map((s) => s.name).join(', ')}`,
    );
    const ledger = await rows<{ doc: { reservations: Array<{ env: string; owner: string }> } }>(
      'SELECT doc FROM slipway_quota_ledger',
    );
    assert.deepEqual(
      ledger[0].doc.reservations
        .filter((r) => names.some((n) => n.env === r.env))
        .map((r) => r.owner)
        .sort(),
      ['alice@team.test', 'bob@team.test'],
    );
    const status = await runCli(['state', 'status', '--json'], bob.home, 60_000, bob.env);
    ok(status, 'state status');
    const shown = jsonData<{ kind: string; location: string; pulumiBackend: string }>(status.stdout);
    assert.equal(shown.kind, 'postgres');
    assert.match(shown.location, /postgres:\*\*\*\*@127\.0\.0\.1/);
    assert.match(shown.pulumiBackend, /^postgres:\/\/postgres:\*\*\*\*@/);
    assert.ok(!status.stdout.includes(PASSWORD) && !status.stderr.includes(PASSWORD), 'the password is masked');
  });

  it('promotions of one stage from both users serialize: one release counter, one audit log', async () => {
    const [a, b] = await Promise.all([
      cli(alice, 'promote', '--from', branchA, '--to', 'staging', '--json'),
      cli(bob, 'promote', '--from', branchB, '--to', 'staging', '--json'),
    ]);
    ok(a, 'alice promote');
    ok(b, 'bob promote');
    const releases = [a, b].map((r) => jsonData<{ release: number }>(r.stdout).release).sort();
    assert.deepEqual(releases, [1, 2], 'one counter: each promotion got its own release number');
    for (const u of [alice, bob]) {
      const h = jsonData<AuditJson>((await cli(u, 'history', '--json')).stdout);
      assert.equal(h.verification.ok, true, `${u.name}: ${JSON.stringify(h.verification)}`);
      const promotions = h.entries.filter((e) => e.action === 'promote');
      assert.deepEqual(promotions.map((e) => e.release).sort(), [1, 2], `${u.name} reads one log`);
      assert.deepEqual(promotions.map((e) => e.actor).sort(), ['alice@team.test', 'bob@team.test']);
    }
    const audit = await rows<{ n: string }>('SELECT count(*) AS n FROM slipway_audit');
    assert.ok(Number(audit[0].n) >= 2);
  });

  it('a quota of one environment per project across both refuses the second user', async () => {
    ok(await cli(bob, 'down', '--branch', branchB), 'bob down');
    for (const u of [alice, bob]) {
      mkdirSync(join(u.dir, '.vscode'), { recursive: true });
      writeFileSync(
        join(u.dir, '.vscode', 'settings.json'),
        JSON.stringify({ 'slipway.quotas.maxEnvironmentsPerWorkspace': 1 }),
      );
    }
    const refused = await cli(bob, 'up', '--branch', `bob-extra-${RUN}`);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /Quota exceeded/);
    assert.match(refused.stderr, /alice@team\.test/, 'names who holds the slot');
  });

  it('two users racing for the last slot: exactly one wins', async () => {
    ok(await cli(alice, 'down', '--branch', branchA), 'alice down');
    const [a, b] = await Promise.all([
      cli(alice, 'up', '--branch', `alice-race-${RUN}`),
      cli(bob, 'up', '--branch', `bob-race-${RUN}`),
    ]);
    assert.deepEqual(
      [a.code, b.code].sort(),
      [0, 4],
      `one up wins, the other is refused:\nalice: ${a.stderr}\nbob: ${b.stderr}`,
    );
    const listed = jsonData<EnvJson[]>((await cli(bob, 'list', '--all', '--json')).stdout).filter(
      (e) => e.project === PROJECT && !e.branch.startsWith('stage:'),
    );
    assert.equal(listed.length, 1, `one environment of the project: ${JSON.stringify(listed)}`);
  });
});

describe('slipway state migrate (files to PostgreSQL)', function () {
  this.timeout(20 * 60 * 1000);
  let server: PostgresServer;
  let home: string;
  let dir: string;
  const branch = `mig-${RUN}`;
  const project = `migrate-${RUN}`;
  let teamEnv: NodeJS.ProcessEnv;
  const cli = (env: NodeJS.ProcessEnv, ...args: string[]) =>
    runCli([...args, '--spec', join(dir, 'slipway.yaml')], home, 600_000, env);

  before(async () => {
    await requireEngines();
    server = await startPostgres();
    home = tempHome('mig-home');
    dir = tempHome('mig-ws');
    git(['init', '-q', '-b', 'main'], dir);
    git(['config', 'user.email', 'solo@team.test'], dir);
    git(['config', 'user.name', 'solo'], dir);
    writeFileSync(join(dir, 'slipway.yaml'), SPEC.replace(`name: ${PROJECT}`, `name: ${project}`));
    git(['add', '.'], dir);
    git(['commit', '-qm', 'spec'], dir);
  });

  after(async () => {
    for (const env of [teamEnv, { SLIPWAY_STATE_URL: '' }].filter(Boolean)) {
      await cli(env, 'down', '--branch', branch);
      await cli(env, 'down', '--stage', 'staging', '--yes');
    }
    await server?.stop();
    removeDir(home);
    removeDir(dir);
  });

  it('moves records, releases and the audit log; the chain verifies after the move', async () => {
    const files = { SLIPWAY_STATE_URL: '' };
    ok(await cli(files, 'up', '--branch', branch));
    ok(await cli(files, 'promote', '--from', branch, '--to', 'staging'));
    const before = jsonData<AuditJson>((await cli(files, 'history', '--json')).stdout);
    assert.equal(before.verification.ok, true);

    const url = (await server.createDatabase('moved')).replace('postgres@', `postgres:${PASSWORD}@`);
    const moved = await runCli(['state', 'migrate', '--to', url, '--json'], home);
    ok(moved);
    assert.ok(!moved.stdout.includes(PASSWORD) && !moved.stderr.includes(PASSWORD), 'the password is masked');
    const result = jsonData<{ copied: Record<string, number>; stacks: { copied: string[] } }>(moved.stdout);
    const copied = result.copied;
    assert.equal(result.stacks.copied.length, 2, `the branch's and the stage's Pulumi stacks: ${result.stacks.copied}`);
    assert.equal(copied.slipway_records, 2, 'the branch and the stage');
    assert.equal(copied.slipway_releases, 1);
    assert.equal(copied.slipway_audit, 1);
    // Again: nothing new, nothing doubled.
    const again = jsonData<{ copied: Record<string, number>; unchanged: number; stacks: unknown }>(
      (await runCli(['state', 'migrate', '--to', url, '--json'], home)).stdout,
    );
    assert.deepEqual(again.copied, {});
    assert.deepEqual(again.stacks, { copied: [], present: result.stacks.copied });
    assert.ok(again.unchanged >= 3);

    teamEnv = { SLIPWAY_STATE_URL: url, PULUMI_CONFIG_PASSPHRASE: readPassphrase(home) };
    const verify = await cli(teamEnv, 'history', '--verify', '--json');
    ok(verify);
    assert.deepEqual(jsonData<AuditJson['verification']>(verify.stdout), {
      ok: true,
      entries: before.verification.entries,
    });
    const listed = jsonData<EnvJson[]>((await cli(teamEnv, 'list', '--json')).stdout);
    assert.deepEqual(listed.map((e) => e.branch).sort(), [branch, 'stage:staging'].sort());
    // Pulumi's state moved too: the environment comes down from the database's stack.
    ok(await cli(teamEnv, 'down', '--branch', branch), 'down from the team state');
    ok(await cli(teamEnv, 'down', '--stage', 'staging', '--yes'), 'stage down from the team state');
    const after = await cli(teamEnv, 'history', '--verify', '--json');
    assert.equal(jsonData<AuditJson['verification']>(after.stdout).ok, true, 'the chain still verifies');
  });
});

function readPassphrase(home: string): string {
  return readFileSync(join(home, 'passphrase'), 'utf8').trim();
}

function ok(r: CliResult, what = 'command'): void {
  assert.equal(r.code, 0, `${what}: ${r.stderr}${r.stdout}`);
}
