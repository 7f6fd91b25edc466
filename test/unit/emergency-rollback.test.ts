/**
 * An emergency rollback inside a freeze needs signed approvals of exactly that rollback (real
 * `ssh-keygen` keys, real git): the stage's approval count of principals in the protected
 * allowed_signers, the requester, unlisted keys and approvals of another rollback not counted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalEnvironments } from '../../environments/engine';
import { SlipwayError } from '../../environments/errors';
import { rollbackStage } from '../../environments/pipeline/deploy';
import { readAudit } from '../../environments/pipeline/audit';
import {
  approveEmergencyRollback,
  emergencyStatement,
  pendingRollback,
  requireEmergencyApprovals,
} from '../../environments/pipeline/emergency';
import { rollbackWindows } from '../../environments/pipeline/governance';
import { writeReleases, type Release } from '../../environments/pipeline/releases';
import { loadSpec } from '../../environments/spec/load';
import type { Spec } from '../../environments/spec/types';

const SPEC = `version: 1
name: shop
services:
  web:
    image: slipway/busybox:local
pipeline:
  stages:
    - preview
    - name: production
      gates:
        - approval: { count: 2, allowedSigners: .slipway/allowed_signers }
        - window: { timezone: UTC, freeze: [{ from: "2026-12-20T00:00", to: "2027-01-02T00:00", reason: year-end freeze }] }
`;

const sh = (cmd: string, args: string[], cwd: string): string =>
  execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'l',
      GIT_AUTHOR_EMAIL: 'l@x',
      GIT_COMMITTER_NAME: 'l',
      GIT_COMMITTER_EMAIL: 'l@x',
    },
  }).trim();

const release = (number: number, digit: string, extra: Partial<Release> = {}): Release => ({
  number,
  at: '2026-12-01T00:00:00Z',
  by: 'lead@corp.test',
  from: { kind: 'branch', name: 'main', env: 'main-abc', commit: digit.repeat(40) },
  images: { web: 'sha256:' + digit.repeat(64) },
  services: [],
  databases: [],
  ...extra,
});

describe('emergency rollback approvals (real ssh-keygen keys, real git)', function () {
  this.timeout(60_000);
  let root: string;
  let repo: string;
  let home: string;
  let spec: Spec;
  const keys: Record<string, string> = {};

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'slipway-emergency-'));
    repo = join(root, 'repo');
    mkdirSync(join(repo, '.slipway'), { recursive: true });
    for (const who of ['alice', 'bob', 'oncall', 'mallory']) {
      keys[who] = join(root, `${who}_ed25519`);
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', who, '-f', keys[who]], root);
    }
    const signers = ['alice', 'bob', 'oncall']
      .map((who) => `${who}@corp.test ${readFileSync(`${keys[who]}.pub`, 'utf8').trim()}`)
      .join('\n');
    writeFileSync(join(repo, '.slipway', 'allowed_signers'), signers + '\n');
    writeFileSync(join(repo, 'slipway.yaml'), SPEC);
    sh('git', ['init', '-q', '-b', 'main'], repo);
    sh('git', ['add', '.'], repo);
    sh('git', ['commit', '-q', '-m', 'pipeline'], repo);
    spec = await loadSpec(join(repo, 'slipway.yaml'));
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  beforeEach(() => {
    home = join(root, `home-${Math.random().toString(36).slice(2)}`);
    writeReleases(home, {
      project: 'shop',
      stage: 'production',
      releases: [release(1, 'a'), release(2, 'b'), release(3, 'c')],
      current: 3,
    });
  });

  const approve = (who: string) =>
    approveEmergencyRollback(home, 'shop', 'production', { actor: `${who}@corp.test`, key: keys[who] });
  const require = () =>
    requireEmergencyApprovals(home, spec, pendingRollback(home, 'shop', 'production'), 'oncall@corp.test');

  it('names the rollback target in the signed statement', () => {
    const statement = emergencyStatement(pendingRollback(home, 'shop', 'production'));
    assert.match(
      statement,
      /^slipway-emergency-rollback v1\nproject: shop\nstage: production\nfrom release: 3\nto release: 2\n/,
    );
    assert.match(statement, new RegExp(`image web: sha256:${'b'.repeat(64)}`));
  });

  it('refuses inside the freeze until the stage approval count of other principals signed, then passes and audits', async () => {
    const during = () => new Date('2026-12-24T10:00:00Z');
    const closed = await rollbackWindows(spec, 'production', during, true);
    assert.equal(closed.length, 1, 'the freeze is in force');
    await assert.rejects(require(), (err: unknown) => {
      assert.ok(SlipwayError.is(err, 'gates-failed'));
      assert.match((err as Error).message, /0 of 2 signed approvals of rolling back from release 3 to release 2/);
      return true;
    });
    await approve('oncall'); // the requester's own signature does not count
    await approve('mallory'); // a key outside allowed_signers does not count
    await approve('alice');
    await assert.rejects(require(), (err: unknown) => {
      const message = (err as Error).message;
      assert.match(message, /1 of 2 signed approvals .*\(alice@corp\.test\)/);
      assert.match(message, /oncall@corp\.test \(requests the rollback\)/);
      assert.match(message, /mallory@corp\.test \(signed by a key that is not in allowed_signers\)/);
      return true;
    });
    await approve('bob');
    assert.deepEqual((await require()).sort(), ['alice@corp.test', 'bob@corp.test']);
    const approvals = readAudit(home, 'shop').filter((e) => e.action === 'approve');
    assert.equal(approvals.length, 4);
    assert.match(approvals[0].note ?? '', /^emergency rollback of production from release 3 to release 2/);
  });

  it('does not count approvals of another rollback (the stage moved on)', async () => {
    await approve('alice');
    await approve('bob');
    writeReleases(home, {
      project: 'shop',
      stage: 'production',
      releases: [release(1, 'a'), release(2, 'b'), release(3, 'c'), release(4, 'd')],
      current: 4,
    });
    await assert.rejects(require(), /0 of 2 signed approvals of rolling back from release 4 to release 3/);
  });

  it('refuses `rollback --emergency` inside the freeze before deploying anything while approvals are missing', async () => {
    // Only the state folder is reached: the refusal comes before any deploy.
    const envs = { home } as unknown as LocalEnvironments;
    const during = () => new Date('2026-12-24T10:00:00Z');
    await approve('alice');
    await assert.rejects(
      rollbackStage(envs, spec, 'production', { actor: 'oncall@corp.test', emergency: true, now: during }),
      (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'gates-failed'));
        assert.match((err as Error).message, /1 of 2 signed approvals .*\(alice@corp\.test\)/);
        assert.match((err as SlipwayError).hint ?? '', /slipway rollback --approve --stage production/);
        return true;
      },
    );
    assert.ok(
      !readAudit(home, 'shop').some((e) => e.action.startsWith('rollback')),
      'nothing rolled back or audited as one',
    );
  });
});
