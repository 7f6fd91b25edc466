/**
 * The audit log's tamper evidence, through the real `slipway history --verify`: an edited field, a
 * removed entry, two swapped entries, the last entry dropped, a hand-appended entry and a whole-file
 * rewrite with recomputed hashes each fail (exit 1), naming the entry; the untouched log passes,
 * and a broken log takes no new entry.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DamagedFileError } from '../../environments/errors';
import { appendAudit, auditPath, verifyAudit, type AuditEntry } from '../../environments/pipeline/audit';

const CLI = resolve(__dirname, '..', '..', 'environments', 'cli', 'main.ts');
const SPEC = `version: 1
name: shop
services:
  web:
    image: slipway/busybox:local
pipeline:
  stages: [preview, staging]
`;

describe('audit log tamper evidence (history --verify)', function () {
  this.timeout(120_000);
  let root: string;
  let home: string;
  let specFile: string;
  let original: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'slipway-audit-'));
    home = join(root, 'home');
    specFile = join(root, 'slipway.yaml');
    writeFileSync(specFile, SPEC);
    for (const [i, action] of (['gates', 'approve', 'promote', 'rollback'] as const).entries()) {
      await appendAudit(home, 'shop', {
        at: `2026-01-05T08:0${i}:00.000Z`,
        actor: i % 2 ? 'bob@corp.test' : 'alice@corp.test',
        action,
        stage: 'staging',
        release: i,
      });
    }
    original = readFileSync(auditPath(home, 'shop'), 'utf8');
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  afterEach(() => writeFileSync(auditPath(home, 'shop'), original));

  const lines = () => original.trimEnd().split('\n');
  const write = (entries: string[]) => writeFileSync(auditPath(home, 'shop'), entries.join('\n') + '\n');

  function verifyCli(): { code: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'history', '--verify', '--spec', specFile], {
      encoding: 'utf8',
      env: { ...process.env, SLIPWAY_HOME: home },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  function assertBroken(seq: number, problem: RegExp): void {
    const v = verifyAudit(home, 'shop');
    assert.equal(v.ok, false);
    assert.equal(v.broken?.seq, seq, JSON.stringify(v.broken));
    assert.match(v.broken!.problem, problem);
    const r = verifyCli();
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`AUDIT LOG BROKEN at entry ${seq}: `));
  }

  it('passes on the log as written', () => {
    assert.deepEqual(verifyAudit(home, 'shop'), { ok: true, entries: 4 });
    const r = verifyCli();
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /audit log intact \(4 entries\)/);
  });

  it('fails on an edited field, naming the entry', () => {
    write(lines().map((l, i) => (i === 1 ? l.replace('bob@corp.test', 'carol@corp.test') : l)));
    assertBroken(2, /edited in place/);
  });

  it('fails on a removed entry', () => {
    write(lines().filter((_, i) => i !== 1));
    assertBroken(3, /removed or reordered/);
  });

  it('fails on two swapped entries', () => {
    const l = lines();
    write([l[0], l[2], l[1], l[3]]);
    assertBroken(3, /removed or reordered/);
  });

  it('fails on the last entry dropped', () => {
    write(lines().slice(0, 3));
    assertBroken(4, /entry 4 is missing: the signed checkpoint records 4 entries/);
  });

  it('refuses to append to a log cut short, so no new checkpoint vouches for it', async () => {
    write(lines().slice(0, 3));
    await assert.rejects(
      appendAudit(home, 'shop', {
        at: '2026-01-05T09:00:00.000Z',
        actor: 'alice@corp.test',
        action: 'gates',
        stage: 'staging',
      }),
      (err: unknown) => {
        assert.ok(DamagedFileError.is(err));
        assert.match((err as Error).message, /entry 4: entry 4 is missing/);
        return true;
      },
    );
    assertBroken(4, /entry 4 is missing/);
  });

  it('fails on an entry appended by hand with a correct chain and hash', () => {
    const entries = lines().map((l) => JSON.parse(l) as AuditEntry);
    const last = entries[3];
    const base = {
      seq: 5,
      at: '2026-01-05T09:00:00.000Z',
      actor: 'mallory@corp.test',
      action: 'promote',
      stage: 'staging',
      prevHash: last.hash,
    };
    write([
      ...lines(),
      JSON.stringify({ ...base, hash: createHash('sha256').update(JSON.stringify(base)).digest('hex') }),
    ]);
    assertBroken(5, /not signed/);
  });

  it('fails on a whole-file rewrite with every hash recomputed', () => {
    let prev = '';
    const rewritten = lines().map((l, i) => {
      const { hash: _h, sig, ...rest } = JSON.parse(l) as AuditEntry;
      const base = { ...rest, actor: i === 1 ? 'carol@corp.test' : rest.actor, prevHash: prev };
      const hash = createHash('sha256').update(JSON.stringify(base)).digest('hex');
      prev = hash;
      return JSON.stringify({ ...base, hash, sig });
    });
    write(rewritten);
    assertBroken(2, /signature does not verify/);
  });
});
