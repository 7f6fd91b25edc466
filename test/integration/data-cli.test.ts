/**
 * `slipway data init` and `slipway data check` through the real CLI against a private PostgreSQL
 * server: a drafted policy says why, the check passes, fails closed (exit 4) on an uncovered or
 * personal-but-kept column, positions a policy typo, and no output ever shows the source password.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { CLI, jsonData, runCli, tempHome, type CliResult } from './helpers';
import { startPostgres, type PostgresServer } from './postgres';

/** The tests' server trusts 127.0.0.1, so any password connects; what matters is that none is ever printed. */
const PASSWORD = 'Sup3r-s3cret-pw';

const SOURCE_DDL = `
CREATE SCHEMA app;
CREATE TABLE app.users (id serial PRIMARY KEY, email text NOT NULL, plan text NOT NULL);
INSERT INTO app.users (email, plan) SELECT 'user' || g || '@example.com', CASE WHEN g % 2 = 0 THEN 'free' ELSE 'pro' END FROM generate_series(1, 40) g;
`;

describe('slipway data (real CLI, real PostgreSQL)', function () {
  this.timeout(120_000);
  let server: PostgresServer;
  let source: string;
  let dir: string;
  let home: string;
  const outputs: CliResult[] = [];

  const sql = async (text: string) => {
    const client = new pg.Client({ connectionString: source });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  const cli = async (...args: string[]) => {
    const r = await runCli(args, home, 60_000);
    outputs.push(r);
    return r;
  };

  before(async () => {
    if (!existsSync(CLI))
      throw new Error('these tests need the built CLI (dist/slipway.js): run `node scripts/build.mjs`.');
    server = await startPostgres();
    await server.createDatabase('source');
    source = `postgres://postgres:${PASSWORD}@127.0.0.1:${server.port}/source`;
    await sql(SOURCE_DDL);
    dir = mkdtempSync(join(tmpdir(), 'slipway-data-cli-'));
    home = tempHome('data-cli');
  });

  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('init drafts a policy covering every column, with a comment on why a column looks personal', async () => {
    const file = join(dir, 'masking.yaml');
    const r = await cli('data', 'init', '--source', source, '--out', file);
    assert.equal(r.code, 0, r.stderr);
    const policy = readFileSync(file, 'utf8');
    assert.match(policy, /^ {10}email: email {2}# looks personal: .*email/m);
    assert.match(policy, /^ {10}plan: keep {2}# text; nothing personal/m);
    assert.match(policy, /^ {10}id: keep/m);
  });

  it('init prints the draft without --out, and never overwrites an existing file', async () => {
    const printed = await cli('data', 'init', '--source', source);
    assert.equal(printed.code, 0, printed.stderr);
    assert.match(printed.stdout, /^version: 1$/m);
    const file = join(dir, 'masking.yaml');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, `${before}# reviewed by hand\n`);
    const again = await cli('data', 'init', '--source', source, '--out', file);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /masking\.yaml already exists; the drafted policy was not written/);
    assert.match(readFileSync(file, 'utf8'), /# reviewed by hand\n$/);
  });

  it('check passes (0) with the drafted policy', async () => {
    const r = await cli('data', 'check', '--source', source, '--policy', join(dir, 'masking.yaml'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'ok: 1 tables, 3 columns covered');
    const json = await cli('data', 'check', '--source', source, '--policy', join(dir, 'masking.yaml'), '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), { data: { ok: true, tables: 1, columns: 3, problems: [] }, error: null });
  });

  it('check fails closed (4) on a column added to the source without a rule, naming it', async () => {
    await sql(`ALTER TABLE app.users ADD COLUMN referral_code text`);
    try {
      const r = await cli('data', 'check', '--source', source, '--policy', join(dir, 'masking.yaml'));
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stdout, /^ {2}app\.users\.referral_code: no rule names this column/m);
      const json = await cli('data', 'check', '--source', source, '--policy', join(dir, 'masking.yaml'), '--json');
      assert.equal(json.code, 4, json.stderr);
      const body = jsonData<{ ok: boolean; tables: number; columns: number; problems: Array<Record<string, string>> }>(
        json.stdout,
      );
      assert.equal(body.ok, false);
      assert.equal(body.columns, 4);
      assert.deepEqual(
        body.problems.map(({ schema, table, column }) => `${schema}.${table}.${column}`),
        ['app.users.referral_code'],
      );
      assert.match(body.problems[0].why, /no rule/);
    } finally {
      await sql(`ALTER TABLE app.users DROP COLUMN referral_code`);
    }
  });

  it('check fails closed (4) on a harmless-named column full of emails kept as `keep`, naming it', async () => {
    await sql(`CREATE TABLE app.contacts (id serial PRIMARY KEY, label text);
      INSERT INTO app.contacts (label) SELECT 'someone' || g || '@example.org' FROM generate_series(1, 30) g`);
    try {
      const file = join(dir, 'contacts.masking.yaml');
      writeFileSync(
        file,
        'version: 1\nschemas:\n  app:\n    tables:\n      users: skip\n      contacts:\n        columns:\n          id: keep\n          label: keep\n',
      );
      const r = await cli('data', 'check', '--source', source, '--policy', file);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stdout, /^ {2}app\.contacts\.label: it looks personal \(.*email.*\) and its rule is `keep`/m);
      assert.doesNotMatch(r.stdout, /app\.contacts\.id/);
    } finally {
      await sql(`DROP TABLE app.contacts`);
    }
  });

  it('a policy with a misspelt field is an error naming file, line and column (exit 1)', async () => {
    const file = join(dir, 'typo.masking.yaml');
    writeFileSync(
      file,
      'version: 1\nschemas:\n  app:\n    tables:\n      users:\n        colums:\n          id: keep\n',
    );
    const r = await cli('data', 'check', '--source', source, '--policy', file);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stderr.includes(`${file}:6:9:`), r.stderr);
    assert.match(r.stderr, /colums/);
    assert.match(r.stderr, /run `slipway data check` again/);
    const missing = await cli('data', 'check', '--source', source, '--policy', join(dir, 'absent.yaml'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /Cannot read the masking policy .*absent\.yaml/);
  });

  it('usage errors exit 2: no --source, or one that is not a PostgreSQL URL', async () => {
    const none = await cli('data', 'check', '--policy', join(dir, 'masking.yaml'));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--source URL is required/);
    const mysql = await cli('data', 'init', '--source', `mysql://root:${PASSWORD}@127.0.0.1/db`);
    assert.equal(mysql.code, 2);
    assert.match(mysql.stderr, /"mysql:\/\/root:\*\*\*@127\.0\.0\.1\/db" is not a PostgreSQL URL/);
  });

  it('a source that does not answer fails (1) showing the URL masked', async () => {
    const down = `postgres://postgres:${PASSWORD}@127.0.0.1:1/source`;
    const r = await cli('data', 'check', '--source', down, '--policy', join(dir, 'masking.yaml'));
    assert.equal(r.code, 1);
    assert.ok(r.stderr.includes('postgres://postgres:***@127.0.0.1:1/source could not be read'), r.stderr);
    const json = await cli('data', 'init', '--source', down, '--json');
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { error: { reason: string } }).error.reason, 'data-copy-failed');
  });

  it('no output of any of these runs contains the source password', () => {
    assert.ok(outputs.length >= 13, `${outputs.length} runs`);
    for (const r of outputs) {
      assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), `${r.stdout}\n${r.stderr}`);
    }
  });
});
