/**
 * Signed approvals with real `ssh-keygen` keys made here, in a real git repository: the approval
 * gate counts principals whose signatures verify against the allowed_signers of the protected
 * ref; the range's author, a forged line, a key outside allowed_signers and an approval of other
 * digests are listed and not counted; the working tree's spec and allowed_signers change nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approvePromotion } from '../../environments/pipeline/approve';
import { evaluateGates, type GateContext, type GateResult } from '../../environments/pipeline/gates';
import { approvalsPath } from '../../environments/pipeline/gates/store';
import {
  approvalContext,
  governedStage,
  promotionFacts,
  type GovernedSource,
} from '../../environments/pipeline/governance';
import { loadSpec } from '../../environments/spec/load';

const SPEC = `version: 1
name: shop
services:
  web:
    image: slipway/busybox:local
pipeline:
  stages:
    - preview
    - name: staging
      gates:
        - approval: { count: 2, allowedSigners: .slipway/allowed_signers }
`;

function sh(cmd: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

describe('signed approvals (real ssh-keygen keys, real git)', function () {
  this.timeout(60_000);
  let root: string;
  let repo: string;
  let home: string;
  const keys: Record<string, string> = {};
  let commit: string;
  let source: GovernedSource & { env: string };

  const identity = (who: string) => ({
    GIT_AUTHOR_NAME: who,
    GIT_AUTHOR_EMAIL: `${who}@corp.test`,
    GIT_COMMITTER_NAME: who,
    GIT_COMMITTER_EMAIL: `${who}@corp.test`,
  });

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'slipway-signed-'));
    repo = join(root, 'repo');
    home = join(root, 'home');
    mkdirSync(join(repo, '.slipway'), { recursive: true });
    for (const who of ['alice', 'bob', 'dev', 'mallory']) {
      keys[who] = join(root, `${who}_ed25519`);
      sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', who, '-f', keys[who]], root);
    }
    // mallory's key is not listed; dev (who writes the change) is, as a team member.
    const signers =
      ['alice', 'bob', 'dev']
        .map((who) => `${who}@corp.test ${readFileSync(`${keys[who]}.pub`, 'utf8').trim()}`)
        .join('\n') + '\n';
    writeFileSync(join(repo, '.slipway', 'allowed_signers'), signers);
    writeFileSync(join(repo, 'slipway.yaml'), SPEC);
    sh('git', ['init', '-q', '-b', 'main'], repo);
    sh('git', ['add', '.'], repo);
    sh('git', ['commit', '-q', '-m', 'pipeline'], repo, identity('lead'));
    sh('git', ['checkout', '-q', '-b', 'feature'], repo);
    writeFileSync(join(repo, 'server.js'), 'console.log(1)\n');
    sh('git', ['add', '.'], repo);
    sh('git', ['commit', '-q', '-m', 'change'], repo, identity('dev'));
    commit = sh('git', ['rev-parse', 'HEAD'], repo);
    source = {
      kind: 'branch',
      name: 'feature',
      env: 'feature-abc',
      commit,
      images: { web: 'sha256:' + 'a'.repeat(64) },
      services: [{ name: 'web' }],
      databases: [],
    };
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  beforeEach(() => rmSync(home, { recursive: true, force: true }));

  async function gate(): Promise<GateResult> {
    const spec = await loadSpec(join(repo, 'slipway.yaml'));
    const { rules, target } = await governedStage(spec, 'staging');
    const ctx: GateContext = {
      project: 'shop',
      env: source.env,
      branch: 'feature',
      commit,
      author: 'dev@corp.test',
      specDir: repo,
      home,
      now: () => new Date(),
      processEnv: {},
      fetch,
      health: async () => ({ ok: true, services: [] }),
      drift: async () => ({ drifted: false, count: 0, summary: [] }),
      approvals: approvalContext(rules, promotionFacts('shop', 'staging', source)),
    };
    const [result] = await evaluateGates(target, ctx);
    return result;
  }

  const approve = (who: string, what = source) =>
    approvePromotion(home, 'shop', 'staging', what, { actor: `${who}@corp.test`, key: keys[who] });
  const invalid = (r: GateResult) => (r.evidence.invalid ?? []) as Array<{ approver: string; why: string }>;

  it('passes a count of 2 with two signers listed in allowed_signers', async () => {
    await approve('alice');
    const one = await gate();
    assert.equal(one.state, 'pending', one.reason);
    assert.equal(one.reason, '1 of 2 signed approvals (alice@corp.test)');
    await approve('bob');
    const r = await gate();
    assert.equal(r.state, 'pass', r.reason);
    assert.equal(r.reason, '2 of 2 signed approvals (alice@corp.test, bob@corp.test)');
    assert.match(String(r.evidence.rules), /^main@[0-9a-f]{12}$/);
  });

  it("does not count the author's own signature, and says the authors came from recorded identities", async () => {
    await approve('alice');
    await approve('dev');
    const r = await gate();
    assert.equal(r.state, 'pending');
    assert.match(
      r.reason,
      /^1 of 2 signed approvals \(alice@corp\.test\); dev@corp\.test changed this range and cannot approve it$/,
    );
    const ignored = r.evidence.ignored as Array<{ principal: string; why: string }>;
    assert.equal(ignored[0].principal, 'dev@corp.test');
    assert.match(ignored[0].why, /from recorded identities/);
    assert.equal((r.evidence.authors as { basis: string }).basis, 'recorded identities');
  });

  it('shows a forged line as invalid and does not count it', async () => {
    await approve('alice');
    const forged = {
      project: 'shop',
      env: source.env,
      commit,
      stage: 'staging',
      approver: 'bob@corp.test',
      at: new Date().toISOString(),
    };
    appendFileSync(approvalsPath(home, 'shop', source.env), JSON.stringify(forged) + '\n');
    const fake = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n';
    appendFileSync(
      approvalsPath(home, 'shop', source.env),
      JSON.stringify({ ...forged, approver: 'carol@corp.test', signature: fake }) + '\n',
    );
    const r = await gate();
    assert.equal(r.state, 'pending');
    assert.match(r.reason, /^1 of 2 signed approvals \(alice@corp\.test\); 2 invalid approvals not counted$/);
    assert.deepEqual(
      invalid(r).map((i) => [i.approver, i.why.split(':')[0]]),
      [
        ['bob@corp.test', 'unsigned'],
        ['carol@corp.test', 'mis-signed'],
      ],
    );
  });

  it('shows a signature by a key outside allowed_signers as invalid', async () => {
    await approve('alice');
    await approve('mallory');
    const r = await gate();
    assert.equal(r.state, 'pending');
    assert.deepEqual(
      invalid(r).map((i) => i.approver),
      ['mallory@corp.test'],
    );
    assert.match(invalid(r)[0].why, /not in allowed_signers/);
  });

  it('shows an approval of other image digests as stale', async () => {
    await approve('alice');
    await approve('bob', { ...source, images: { web: 'sha256:' + 'b'.repeat(64) } });
    const r = await gate();
    assert.equal(r.state, 'pending');
    assert.match(
      invalid(r)[0].why,
      /^stale: bob@corp\.test signed other image digests or another spec \(differs in image web\)$/,
    );
  });

  it('reads the gate and allowed_signers from the protected branch, not the working tree', async () => {
    const specFile = join(repo, 'slipway.yaml');
    const signersFile = join(repo, '.slipway', 'allowed_signers');
    const [specText, signersText] = [readFileSync(specFile, 'utf8'), readFileSync(signersFile, 'utf8')];
    try {
      // The promoter drops the gate and lists their own key, without merging either.
      writeFileSync(specFile, specText.replace(/\n {6}gates:\n.*\n/, '\n      gates: []\n'));
      appendFileSync(signersFile, `mallory@corp.test ${readFileSync(`${keys.mallory}.pub`, 'utf8').trim()}\n`);
      assert.deepEqual((await loadSpec(specFile)).pipeline!.stages[1].gates, []);
      await approve('mallory');
      const r = await gate();
      assert.equal(r.kind, 'approval');
      assert.equal(r.state, 'pending');
      assert.deepEqual(
        invalid(r).map((i) => i.approver),
        ['mallory@corp.test'],
      );
    } finally {
      writeFileSync(specFile, specText);
      writeFileSync(signersFile, signersText);
    }
  });
});
