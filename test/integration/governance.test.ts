/**
 * Governance on the real Docker Engine and Pulumi, through the real CLI, in a real git repository
 * with real `ssh-keygen` keys: a preview built from a dirty tree cannot be promoted; the approval
 * gate comes from the protected branch even when the working tree drops it; signed approvals by
 * two listed signers pass while the author's does not count; `drift --stage staging --reapply`
 * after a working-tree change keeps staging on the release's digests, and the audit records it.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalEnvironments } from '../../environments/engine';
import { SlipwayError } from '../../environments/errors';
import { loadSpec } from '../../environments/spec/load';
import { RUN, docker, jsonData, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const BASE = 'slipway/debian:bookworm';

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

const identity = (who: string) => ({
  GIT_AUTHOR_NAME: who,
  GIT_AUTHOR_EMAIL: `${who}@corp.test`,
  GIT_COMMITTER_NAME: who,
  GIT_COMMITTER_EMAIL: `${who}@corp.test`,
});

describe('governance on real Docker + Pulumi + git + ssh-keygen', function () {
  this.timeout(20 * 60 * 1000);
  const project = `gov-${RUN}`;
  const branch = 'feature';
  let root: string;
  let home: string;
  let app: string;
  let specFile: string;
  const keys: Record<string, string> = {};
  const cli = (...args: string[]) => runCli([...args, '--spec', specFile], home);
  const spec = () => `version: 1
name: ${project}
services:
  web:
    build: .
pipeline:
  stages:
    - preview
    - name: staging
      gates:
        - command: { name: tests, run: "test -f tested.txt", timeout: 30s }
        - approval: { count: 2, allowedSigners: .slipway/allowed_signers }
`;

  async function webImage(env: string): Promise<string> {
    const c = (await labelled(project, env)).containers.find((x) => x.Labels['dev.slipway.service'] === 'web');
    assert.ok(c, `web runs in ${env}`);
    return (await docker.getContainer(c.Id).inspect()).Image;
  }

  before(async () => {
    await requireEngines();
    await docker
      .getImage(BASE)
      .inspect()
      .catch(() => assert.fail(`the base image ${BASE} is missing: run \`npm run setup\` (scripts/setup.sh) first`));
    root = mkdtempSync(join(tmpdir(), 'slipway-gov-'));
    home = tempHome('gov');
    app = join(root, 'app');
    specFile = join(app, 'slipway.yaml');
    mkdirSync(join(app, '.slipway'), { recursive: true });
    for (const who of ['alice', 'bob', 'dev']) {
      keys[who] = join(root, `${who}_ed25519`);
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', who, '-f', keys[who]], root);
    }
    writeFileSync(
      join(app, '.slipway', 'allowed_signers'),
      ['alice', 'bob', 'dev'].map((w) => `${w}@corp.test ${readFileSync(`${keys[w]}.pub`, 'utf8').trim()}`).join('\n') +
        '\n',
    );
    writeFileSync(specFile, spec());
    writeFileSync(join(app, 'Dockerfile'), `FROM ${BASE}\nCOPY message.txt /message.txt\nCMD ["sleep", "infinity"]\n`);
    writeFileSync(join(app, 'message.txt'), 'v1\n');
    writeFileSync(join(app, 'tested.txt'), 'the test suite passed\n');
    sh('git', ['init', '-q', '-b', 'main'], app);
    sh('git', ['add', '.'], app);
    sh('git', ['commit', '-q', '-m', 'pipeline'], app, identity('lead'));
    sh('git', ['checkout', '-q', '-b', branch], app);
    writeFileSync(join(app, 'message.txt'), 'v2\n');
    sh('git', ['commit', '-q', '-am', 'change'], app, identity('dev'));
  });

  after(async () => {
    await cli('down', '--branch', branch);
    await cli('down', '--stage', 'staging');
    assert.equal((await labelled(project, 'stage:staging')).containers.length, 0);
    removeDir(root);
    removeDir(home);
  });

  it('refuses to promote a preview built from a dirty tree, saying why and what to do', async () => {
    writeFileSync(join(app, 'message.txt'), 'v2 with an uncommitted edit\n');
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const status = jsonData<{ commit?: string }>((await cli('status', '--branch', branch, '--json')).stdout);
    assert.match(status.commit ?? '', /^[0-9a-f]{40}\+dirty$/);
    const r = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'dev@corp.test');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /built from uncommitted changes/);
    assert.match(r.stderr, /Commit \(or stash\) the changes, run `slipway up` again/);
    assert.equal((await labelled(project, 'stage:staging')).containers.length, 0);
    sh('git', ['checkout', '--', 'message.txt'], app);
    const clean = await cli('up', '--branch', branch);
    assert.equal(clean.code, 0, clean.stderr);
  });

  it('keeps the approval gate of the protected branch when the working tree deletes it', async () => {
    writeFileSync(specFile, spec().replace(/\n {8}- approval: .*\n/, '\n'));
    try {
      const r = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'dev@corp.test');
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /approval \(approval\) pending: 0 of 2 signed approvals/);
    } finally {
      writeFileSync(specFile, spec());
    }
  });

  it("promotes with two signed approvals; the author's own signature does not count", async () => {
    for (const who of ['dev', 'alice']) {
      const r = await cli(
        'approve',
        '--from',
        branch,
        '--to',
        'staging',
        '--as',
        `${who}@corp.test`,
        '--key',
        keys[who],
      );
      assert.equal(r.code, 0, r.stderr);
    }
    // The command gate runs in a checkout of the commit: a file removed from the working tree is still there.
    rmSync(join(app, 'tested.txt'));
    const gates = jsonData<Array<{ name: string; state: string; reason: string; evidence: Record<string, unknown> }>>(
      (await cli('gates', '--from', branch, '--to', 'staging', '--json')).stdout,
    );
    const approval = gates.find((g) => g.name === 'approval')!;
    assert.equal(approval.state, 'pending');
    assert.match(approval.reason, /1 of 2 signed approvals \(alice@corp\.test\); dev@corp\.test changed this range/);
    assert.equal(
      gates.find((g) => g.name === 'tests')!.state,
      'pass',
      'the command gate runs in a checkout of the commit',
    );
    sh('git', ['checkout', '--', 'tested.txt'], app);
    assert.equal(
      sh('git', ['worktree', 'list', '--porcelain'], app)
        .split('\n')
        .filter((l) => l.startsWith('worktree ')).length,
      1,
      'the checkout is removed',
    );
    assert.equal(
      (await cli('approve', '--from', branch, '--to', 'staging', '--as', 'bob@corp.test', '--key', keys.bob)).code,
      0,
    );
    const r = await cli('promote', '--from', branch, '--to', 'staging', '--as', 'dev@corp.test', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(jsonData<{ images: Record<string, string> }>(r.stdout).images.web, await webImage(branch));
  });

  it('reapplies staging from its release after a working-tree change, and audits it', async () => {
    const release = await webImage('stage:staging');
    writeFileSync(join(app, 'message.txt'), 'v3, never promoted\n');
    writeFileSync(join(app, 'Dockerfile'), readFileSync(join(app, 'Dockerfile'), 'utf8').replace('sleep', 'sleep '));
    const web = (await labelled(project, 'stage:staging')).containers.find(
      (c) => c.Labels['dev.slipway.service'] === 'web',
    )!;
    await docker.getContainer(web.Id).remove({ force: true });
    const fixed = await cli('drift', '--stage', 'staging', '--reapply', '--json');
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.equal(
      await webImage('stage:staging'),
      release,
      'staging runs the release digest, not a build of the working tree',
    );
    assert.equal(
      (await cli('drift', '--stage', 'staging')).code,
      0,
      'judged against the release, the working tree change is no drift',
    );
    const h = jsonData<{
      entries: Array<{ action: string; images?: Record<string, string>; note?: string }>;
      verification: { ok: boolean };
    }>((await cli('history', '--json')).stdout);
    const entry = h.entries.find((e) => e.action === 'stage-reapply');
    assert.ok(entry, JSON.stringify(h.entries.map((e) => e.action)));
    assert.equal(entry.images?.web, release);
    assert.match(entry.note ?? '', /reapplied release 1/);
    assert.equal(h.verification.ok, true);
    assert.equal((await cli('history', '--verify')).code, 0);
  });

  it('refuses a direct up of a stage in the core', async () => {
    const envs = await LocalEnvironments.create({ home });
    await assert.rejects(
      envs.up(await loadSpec(specFile), 'stage:staging'),
      (err: unknown) =>
        SlipwayError.is(err, 'policy-refused') && /changes only by promotion and rollback/.test((err as Error).message),
    );
  });
});
