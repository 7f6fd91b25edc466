/**
 * `databases.<name>.init` on the real Docker Engine and Pulumi, through the real CLI: the scripts
 * run once, in the listed order (not by file name), when an environment's database is first
 * created; a failing script fails `up` naming the script, and after it is fixed the next `up`
 * runs them all on a fresh cluster, even in the volume a failed `up --keep-on-failure` kept
 * (nothing half-made is served); drift stays clean.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN, forceDown, removeDir, requireEngines, runCli, tempHome } from './helpers';
import { withClient } from './postgres';

const PROJECT = `dbinit-${RUN}`;

describe('database init scripts on real Docker + Pulumi', function () {
  this.timeout(10 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const branch = `feature/dbinit-${RUN}`;

  async function rows(): Promise<string[]> {
    const url = await runCli(
      ['url', '--spec', specFile, '--branch', branch, '--database', 'db', '--show-secrets'],
      home,
    );
    assert.equal(url.code, 0, url.stderr);
    return withClient(url.stdout.trim(), async (c) =>
      (await c.query<{ name: string }>('SELECT name FROM shop.products ORDER BY id')).rows.map((row) => row.name),
    );
  }

  before(async () => {
    await requireEngines();
    home = tempHome('dbinit-home');
    dir = tempHome('dbinit-ws');
    specFile = join(dir, 'slipway.yaml');
    mkdirSync(join(dir, 'db'));
    // Listed first, sorted last by name: the list's order is the one that counts.
    writeFileSync(
      join(dir, 'db', 'tables.sql'),
      'CREATE SCHEMA shop;\nCREATE TABLE shop.products (id serial PRIMARY KEY, name text NOT NULL);\n',
    );
    // A shell script, run as postgres with PGHOST, PGUSER and PGDATABASE set for psql.
    writeFileSync(
      join(dir, 'db', 'rows.sh'),
      `set -e\npsql -v ON_ERROR_STOP=1 -q -c "INSERT INTO shop.products (name) VALUES ('kettle'), ('teapot')"\n`,
    );
    writeFileSync(
      specFile,
      [
        'version: 1',
        `name: ${PROJECT}`,
        'services:',
        '  app:',
        '    image: slipway/busybox:local',
        '    command: ["sleep", "3600"]',
        '    env:',
        '      DATABASE_URL: ${{ databases.db.url }}',
        'databases:',
        '  db:',
        '    engine: postgres',
        '    version: "15"',
        '    init: [./db/tables.sql, ./db/rows.sh, ./db/more.sql]',
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    if (specFile) await forceDown(specFile, branch, home);
    removeDir(home);
    removeDir(dir);
  });

  it('a failing script fails up by name; fixed, the next up initialises afresh and runs every script once', async () => {
    writeFileSync(join(dir, 'db', 'more.sql'), "INSERT INTO shop.products (name) VALUES ('cup';\n");
    // Kept on failure: the database's volume stays, with whatever the failed start left in it.
    let r = await runCli(['up', '--spec', specFile, '--branch', branch, '--keep-on-failure'], home);
    assert.equal(r.code, 1, `up with a broken script must fail:\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /db exited with code 1/);
    assert.match(r.stderr, /initialisation stopped at \/docker-entrypoint-initdb\.d\/3-more\.sql/);

    writeFileSync(join(dir, 'db', 'more.sql'), "INSERT INTO shop.products (name) VALUES ('cup');\n");
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    // Once each, on a fresh cluster: had the failed start left its cluster in the kept volume, no
    // script would have run again (the table would be empty), or CREATE SCHEMA would have failed.
    assert.deepEqual(await rows(), ['kettle', 'teapot', 'cup']);

    const drift = await runCli(['drift', '--spec', specFile, '--branch', branch, '--json'], home);
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);

    // A later up of the same database runs nothing again: the data stays as it is.
    r = await runCli(['up', '--spec', specFile, '--branch', branch], home);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await rows(), ['kettle', 'teapot', 'cup']);
  });
});
