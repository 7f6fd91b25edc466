/** Slipway's own files under SLIPWAY_HOME: damaged ones are named (file, line, field), never silently reset; writes are private and atomic. */
import assert from 'node:assert/strict';
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DamagedFileError, SlipwayError } from '../../environments/errors';
import { appendLineDurably, writeFileAtomically } from '../../environments/files';
import {
  fileBackendStacks,
  isWrongPassphrase,
  passphrasePath,
  secretsPassphrase,
  wrongPassphraseError,
} from '../../environments/paths';
import { appendAudit, auditPath, readAudit, verifyAudit } from '../../environments/pipeline/audit';
import { gateResultsPath, loadGateResults, saveGateResults } from '../../environments/pipeline/gates/store';
import { readReleases, releasesPath, writeReleases } from '../../environments/pipeline/releases';
import {
  inspectRecord,
  listRecords,
  readRecord,
  rebuildRecord,
  recordPath,
  writeRecord,
  type EnvRecord,
} from '../../environments/records';
import { notePassphraseOpened, passphraseFitsBackend, passphraseOpensStack } from '../../environments/pulumi/secrets';
import { jsonErrorOffset } from '../../environments/stored';

const mode = (path: string) => statSync(path).mode & 0o777;

function damaged(fn: () => unknown): DamagedFileError {
  try {
    fn();
  } catch (err) {
    if (DamagedFileError.is(err)) return err;
    throw err;
  }
  assert.fail('expected a DamagedFileError');
}

const record = (over: Partial<EnvRecord> = {}): EnvRecord => ({
  project: 'shop',
  env: 'main-abc123',
  branch: 'main',
  stack: 'main-abc123',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  owner: 'dev@example.com',
  services: ['web'],
  databases: ['db'],
  urls: { web: 'http://127.0.0.1:20001' },
  lastOperation: { op: 'up', status: 'succeeded', at: '2026-01-02T00:00:00.000Z' },
  ...over,
});

describe('damaged files under SLIPWAY_HOME', () => {
  let home: string;
  beforeEach(() => {
    home = join(mkdtempSync(join(tmpdir(), 'slipway-files-')), 'home');
  });
  afterEach(() => rmSync(dirname(home), { recursive: true, force: true }));

  describe('JSON positions', () => {
    it('finds where a text stops being JSON', () => {
      assert.equal(jsonErrorOffset('{"a": 1}'), -1);
      assert.equal(jsonErrorOffset('{"a": }'), 6);
      assert.equal(jsonErrorOffset('{"a": tru}'), 6);
      assert.equal(jsonErrorOffset('{"a": [1, 2'), 11);
      assert.equal(jsonErrorOffset('{"a": "b\\"c"} x'), 14);
      assert.equal(jsonErrorOffset(''), 0);
    });
  });

  describe('environment records', () => {
    it('reads an intact record, and none when there is no file', () => {
      writeRecord(home, record());
      assert.equal(readRecord(home, 'shop', 'main-abc123')?.owner, 'dev@example.com');
      assert.equal(readRecord(home, 'shop', 'other-000000'), undefined);
    });

    it('names the file and the line where a truncated record ends', () => {
      writeRecord(home, record());
      const file = recordPath(home, 'shop', 'main-abc123');
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.slice(0, text.indexOf('"services"') + 5));
      const err = damaged(() => readRecord(home, 'shop', 'main-abc123'));
      assert.equal(err.reason, 'file-damaged');
      assert.equal(err.file, file);
      assert.equal(err.line, text.slice(0, text.indexOf('"services"')).split('\n').length);
      assert.match(err.message, /^.*main-abc123\.json:\d+: not valid JSON \(Unterminated string\)$/);
      assert.match(err.hint ?? '', /slipway up/);
    });

    it('names the line and field of a record of the wrong shape', () => {
      writeRecord(home, record());
      const file = recordPath(home, 'shop', 'main-abc123');
      const text = readFileSync(file, 'utf8').replace('"services": [', '"services": "web", "x": [');
      writeFileSync(file, text);
      const err = damaged(() => readRecord(home, 'shop', 'main-abc123'));
      assert.equal(err.line, text.split('\n').findIndex((l) => l.includes('"services"')) + 1);
      assert.match(err.message, /field services is a string where an array was expected/);
    });

    it('refuses a record that names another environment than its file', () => {
      writeRecord(home, record());
      writeFileSync(recordPath(home, 'shop', 'copy-000000'), readFileSync(recordPath(home, 'shop', 'main-abc123')));
      assert.match(
        damaged(() => readRecord(home, 'shop', 'copy-000000')).message,
        /names environment shop\/main-abc123/,
      );
    });

    it('lists a damaged record beside the intact ones, never leaving it out', () => {
      writeRecord(home, record());
      writeRecord(home, record({ env: 'other-000001', branch: 'other', stack: 'other-000001' }));
      writeFileSync(recordPath(home, 'shop', 'other-000001'), '{"project": "sh');
      const { records, damaged: broken } = listRecords(home, 'shop');
      assert.deepEqual(
        records.map((r) => r.env),
        ['main-abc123'],
      );
      assert.deepEqual(
        broken.map((d) => [d.project, d.env, d.error.line]),
        [['shop', 'other-000001', 1]],
      );
      assert.ok(inspectRecord(home, 'shop', 'other-000001').damaged);
    });

    it('is rebuilt from Docker labels with its creation time and owner', () => {
      const r = rebuildRecord({
        project: 'shop',
        env: 'main-abc123',
        branch: 'main',
        owner: 'dev@example.com',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-03T00:00:00.000Z',
        services: ['web'],
        databases: ['db'],
      });
      assert.equal(r.createdAt, '2026-01-01T00:00:00.000Z');
      assert.equal(r.updatedAt, '2026-01-03T00:00:00.000Z');
      assert.equal(r.owner, 'dev@example.com');
      assert.deepEqual([r.branch, r.stack, r.services, r.databases], ['main', 'main-abc123', ['web'], ['db']]);
      assert.equal(r.applied, undefined);
    });
  });

  describe('releases', () => {
    it('has no releases without a file, and keeps what is written', () => {
      assert.deepEqual(readReleases(home, 'shop', 'staging'), { project: 'shop', stage: 'staging', releases: [] });
      writeReleases(home, { project: 'shop', stage: 'staging', releases: [], current: undefined });
      assert.deepEqual(readReleases(home, 'shop', 'staging').releases, []);
    });

    it('never reads a truncated file as an empty history', () => {
      const file = releasesPath(home, 'shop', 'staging');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, '{"project": "shop", "stage": "staging", "releases": [\n  {"number": 1,\n');
      const err = damaged(() => readReleases(home, 'shop', 'staging'));
      assert.equal(err.file, file);
      assert.equal(err.line, 2);
      assert.match(err.message, /not valid JSON/);
      assert.match(err.hint ?? '', /backup/);
    });

    it('names the release and field of the wrong shape', () => {
      const file = releasesPath(home, 'shop', 'staging');
      mkdirSync(dirname(file), { recursive: true });
      const rel = { number: 1, at: 'now', by: 'me', from: {}, images: {}, services: [], databases: [] };
      writeFileSync(
        file,
        JSON.stringify(
          { project: 'shop', stage: 'staging', releases: [rel, { ...rel, number: '2' }], current: 1 },
          null,
          2,
        ),
      );
      const err = damaged(() => readReleases(home, 'shop', 'staging'));
      assert.match(err.message, /field releases\[1\]\.number is a string where a number was expected/);
      assert.equal(
        err.line,
        readFileSync(file, 'utf8')
          .split('\n')
          .findIndex((l) => l.includes('"2"')) + 1,
      );
    });
  });

  describe('the audit log', () => {
    const entry = {
      at: '2026-01-01T00:00:00.000Z',
      actor: 'dev@example.com',
      action: 'approve' as const,
      stage: 'staging',
    };

    it('names the damaged line, refuses to append after it, and leaves the file as it was', async () => {
      await appendAudit(home, 'shop', entry);
      await appendAudit(home, 'shop', entry);
      const file = auditPath(home, 'shop');
      const lines = readFileSync(file, 'utf8').split('\n');
      lines[1] = lines[1].slice(0, 30);
      writeFileSync(file, lines.join('\n'));
      const err = damaged(() => readAudit(home, 'shop'));
      assert.equal(err.file, file);
      assert.equal(err.line, 2);
      await assert.rejects(appendAudit(home, 'shop', entry), (e: unknown) => DamagedFileError.is(e) && e.line === 2);
      assert.equal(readFileSync(file, 'utf8'), lines.join('\n'));
      const v = verifyAudit(home, 'shop');
      assert.equal(v.ok, false);
      assert.equal(v.broken?.line, 2);
      assert.match(v.broken?.problem ?? '', /shop\.jsonl:2: not valid JSON/);
    });

    it('names a line that is JSON but not an entry', async () => {
      await appendAudit(home, 'shop', entry);
      appendLineDurably(auditPath(home, 'shop'), '{"seq": 2}');
      assert.match(damaged(() => readAudit(home, 'shop')).message, /shop\.jsonl:2: field at is missing/);
    });
  });

  describe('gate results', () => {
    it('refuses to overwrite a damaged results file', () => {
      const file = gateResultsPath(home, 'shop', 'main-abc123', 'c0ffee');
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, '{"results": [');
      assert.equal(damaged(() => loadGateResults(home, 'shop', 'main-abc123', 'c0ffee')).line, 1);
      assert.throws(
        () => saveGateResults(home, 'shop', 'main-abc123', 'c0ffee', []),
        (e: unknown) => DamagedFileError.is(e),
      );
      assert.equal(readFileSync(file, 'utf8'), '{"results": [');
    });
  });

  describe('modes and atomic writes', () => {
    it('makes folders 0700 and files 0600 from the first write, and leaves no temporary file', () => {
      const file = join(home, 'a', 'b.json');
      writeFileAtomically(file, '{}\n');
      assert.equal(mode(home), 0o700);
      assert.equal(mode(join(home, 'a')), 0o700);
      assert.equal(mode(file), 0o600);
      writeFileSync(file, 'old', { mode: 0o644 });
      writeFileAtomically(file, 'new');
      assert.equal(mode(file), 0o600);
      assert.deepEqual(readdirSync(join(home, 'a')), ['b.json']);
      appendLineDurably(join(home, 'c', 'd.jsonl'), '{}');
      assert.equal(mode(join(home, 'c', 'd.jsonl')), 0o600);
    });
  });

  describe('the secrets passphrase', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env.PULUMI_CONFIG_PASSPHRASE;
      delete process.env.PULUMI_CONFIG_PASSPHRASE;
    });
    afterEach(() => {
      // Put back exactly what was there: a value set by a test must not reach later tests' CLIs.
      if (saved === undefined) delete process.env.PULUMI_CONFIG_PASSPHRASE;
      else process.env.PULUMI_CONFIG_PASSPHRASE = saved;
    });

    const addStack = () => {
      const dir = join(home, 'state', '.pulumi', 'stacks', 'slipway-shop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'main-abc123.json'), '{}');
    };

    it('is made once, 0600 in a 0700 home, while no stack exists', () => {
      const p = secretsPassphrase(home);
      assert.ok(p.length >= 20);
      assert.equal(mode(home), 0o700);
      assert.equal(mode(passphrasePath(home)), 0o600);
      assert.equal(secretsPassphrase(home), p);
    });

    it('is never made anew while stacks exist: the error names the file and PULUMI_CONFIG_PASSPHRASE', () => {
      addStack();
      assert.deepEqual(fileBackendStacks(`file://${join(home, 'state')}`), ['slipway-shop/main-abc123']);
      assert.throws(
        () => secretsPassphrase(home),
        (e: unknown) =>
          SlipwayError.is(e, 'passphrase-invalid') &&
          e.message.includes(passphrasePath(home)) &&
          e.message.includes('slipway-shop/main-abc123') &&
          /PULUMI_CONFIG_PASSPHRASE/.test(e.hint ?? ''),
      );
      assert.equal(existsSync(passphrasePath(home)), false);
    });

    it('refuses an empty passphrase file, and takes PULUMI_CONFIG_PASSPHRASE over the file', () => {
      addStack();
      mkdirSync(home, { recursive: true });
      writeFileSync(passphrasePath(home), '\n');
      assert.throws(
        () => secretsPassphrase(home),
        (e: unknown) => SlipwayError.is(e, 'passphrase-invalid') && /is empty/.test(e.message),
      );
      process.env.PULUMI_CONFIG_PASSPHRASE = 'from-the-environment';
      assert.equal(secretsPassphrase(home), 'from-the-environment');
    });

    it('checks a passphrase against a stack already in the file backend (as Pulumi seals it)', async () => {
      const salt = randomBytes(8);
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', pbkdf2Sync('right-one', salt, 1_000_000, 32, 'sha256'), nonce);
      const sealed = Buffer.concat([cipher.update('pulumi', 'utf8'), cipher.final(), cipher.getAuthTag()]);
      const state = `v1:${salt.toString('base64')}:v1:${nonce.toString('base64')}:${sealed.toString('base64')}`;
      const backend = `file://${join(home, 'state')}`;
      assert.equal(await passphraseFitsBackend('anything', backend), true, 'no stack: nothing to check against');
      const dir = join(home, 'state', '.pulumi', 'stacks', 'slipway-shop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        join(dir, 'main-abc123.json'),
        JSON.stringify({
          version: 3,
          checkpoint: { latest: { secrets_providers: { type: 'passphrase', state: { salt: state } } } },
        }),
      );
      assert.equal(await passphraseFitsBackend('right-one', backend), true);
      assert.equal(await passphraseFitsBackend('wrong-one', backend), false);

      // One stack's, as `down` checks it before its head start; nothing to tell elsewhere.
      assert.equal(await passphraseOpensStack('right-one', backend, 'slipway-shop/main-abc123'), true);
      assert.equal(await passphraseOpensStack('wrong-one', backend, 'slipway-shop/main-abc123'), false);
      assert.equal(await passphraseOpensStack('right-one', backend, 'slipway-shop/other'), undefined);
      assert.equal(await passphraseOpensStack('right-one', 'postgres://h/db', 'slipway-shop/main-abc123'), undefined);
      // A stack Pulumi opened with a passphrase is remembered by its state and that passphrase
      // only (its sealed word is not even read again); any other passphrase is still checked.
      const unreadable = `v1:${salt.toString('base64')}:v1:${nonce.toString('base64')}:${Buffer.alloc(22).toString('base64')}`;
      writeFileSync(
        join(dir, 'noted.json'),
        JSON.stringify({
          checkpoint: { latest: { secrets_providers: { type: 'passphrase', state: { salt: unreadable } } } },
        }),
      );
      assert.equal(await passphraseOpensStack('right-one', backend, 'slipway-shop/noted'), false);
      notePassphraseOpened('right-one', backend, 'slipway-shop/noted');
      assert.equal(await passphraseOpensStack('right-one', backend, 'slipway-shop/noted'), true);
      assert.equal(await passphraseOpensStack('wrong-one', backend, 'slipway-shop/noted'), false);
    });

    it("recognises Pulumi's wrong-passphrase failure, and says it without the passphrase", () => {
      assert.equal(isWrongPassphrase(new Error('code: 255\n stderr: error: incorrect passphrase')), true);
      assert.equal(
        isWrongPassphrase(new Error('boom'), ['error: failed to decrypt: cipher: message authentication failed']),
        true,
      );
      assert.equal(isWrongPassphrase(new Error('container exited')), false);
      process.env.PULUMI_CONFIG_PASSPHRASE = 'hunter2-secret';
      const err = wrongPassphraseError(home, 'Could not tear down branch "main"');
      assert.equal(err.reason, 'passphrase-invalid');
      assert.match(err.message, /PULUMI_CONFIG_PASSPHRASE/);
      assert.ok(err.hint?.includes(passphrasePath(home)));
      assert.doesNotMatch(`${err.message} ${err.hint}`, /hunter2|slipway down. again/);
      assert.match(err.message, /not the one this state's stacks were encrypted with/);
    });
  });
});
