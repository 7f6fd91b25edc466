/**
 * `databases.<name>.init` in slipway.yaml (its mounts, each problem at its line and field), and
 * `slipway init` turning a compose database's /docker-entrypoint-initdb.d mounts into it while
 * listing the database volumes and command it cannot map.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpecIssue } from '../../environments/errors';
import { draftSpec } from '../../environments/spec/init';
import { parseSpec } from '../../environments/spec/load';
import { specIssues } from '../spec-issues';

const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
const HEAD = [
  'version: 1',
  'name: shop',
  'services:',
  '  web: { image: x }',
  'databases:',
  '  db:',
  '    engine: postgres',
  '    version: "15"',
];

describe('slipway.yaml databases.<name>.init', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-db-init-'));
    file = join(dir, 'slipway.yaml');
    mkdirSync(join(dir, 'db', 'initdb'), { recursive: true });
    for (const f of ['schema.sql', 'rows.sh', 'big.sql.gz', 'notes.txt']) writeFileSync(join(dir, 'db', f), '-- x\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const issuesOf = (text: string): SpecIssue[] => specIssues(text, file);

  it('mounts one file, one folder, or a list of files numbered in the list order', () => {
    const one = parseSpec(yaml(...HEAD, '    init: ./db/schema.sql'), file);
    assert.deepEqual(one.databases[0].init, [
      { source: join(dir, 'db', 'schema.sql'), target: '/docker-entrypoint-initdb.d/schema.sql' },
    ]);
    const folder = parseSpec(yaml(...HEAD, '    init: db/initdb/'), file);
    assert.deepEqual(folder.databases[0].init, [
      { source: join(dir, 'db', 'initdb'), target: '/docker-entrypoint-initdb.d' },
    ]);
    const list = parseSpec(yaml(...HEAD, '    init: [./db/schema.sql, ./db/rows.sh, ./db/big.sql.gz]'), file);
    assert.deepEqual(
      list.databases[0].init?.map((m) => m.target),
      [
        '/docker-entrypoint-initdb.d/1-schema.sql',
        '/docker-entrypoint-initdb.d/2-rows.sh',
        '/docker-entrypoint-initdb.d/3-big.sql.gz',
      ],
    );
    assert.equal(parseSpec(yaml(...HEAD), file).databases[0].init, undefined);
  });

  it('refuses a missing file, a file outside the project, a kind the database does not run, a folder in a list, and init with seed, each at its line', () => {
    writeFileSync(join(dir, 'masking.yaml'), 'version: 1\n');
    const issues = issuesOf(
      yaml(
        ...HEAD,
        '    init:',
        '      - ./db/missing.sql',
        '      - ../elsewhere.sql',
        '      - ./db/notes.txt',
        '      - ./db/initdb',
        '    seed: { source: "${{ env.SRC }}", policy: masking.yaml }',
      ),
    );
    const at = (field: string) => issues.find((i) => i.field === field);
    assert.match(at('databases.db.init[0]')!.message, /init script "\.\/db\/missing\.sql" not found/);
    assert.equal(at('databases.db.init[0]')!.line, 10);
    assert.match(at('databases.db.init[1]')!.message, /outside the project folder/);
    assert.match(at('databases.db.init[2]')!.message, /is not \.sql, \.sql\.gz, \.sql\.xz or \.sh/);
    assert.match(at('databases.db.init[3]')!.message, /is a folder: give one folder alone/);
    assert.match(at('databases.db.init')!.message, /init and seed cannot both set up db/);
    assert.equal(at('databases.db.init')!.line, 9);
    assert.ok(issues.every((i) => i.file === file));
    assert.match(issuesOf(yaml(...HEAD, '    init: []'))[0].message, /must be a path such as/);
  });
});

describe("slipway init: a compose database's init scripts", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'slipway-init-db-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const compose = (...volumes: string[]) =>
    yaml(
      'services:',
      '  db:',
      '    image: postgres:16',
      '    command: ["postgres", "-c", "max_connections=200"]',
      '    environment: { POSTGRES_USER: app, POSTGRES_PASSWORD: pw, POSTGRES_DB: app }',
      '    volumes:',
      ...volumes.map((v) => `      - ${v}`),
    );

  it('maps initdb file mounts in the order the image runs them (by name) and lists what it cannot map', () => {
    mkdirSync(join(dir, 'sql'));
    for (const f of ['schema.sql', 'fixtures.sql']) writeFileSync(join(dir, 'sql', f), '-- x\n');
    writeFileSync(
      join(dir, 'compose.yaml'),
      compose(
        'pgdata:/var/lib/postgresql/data',
        './sql/fixtures.sql:/docker-entrypoint-initdb.d/20-fixtures.sql:ro',
        './sql/schema.sql:/docker-entrypoint-initdb.d/10-schema.sql',
        './postgresql.conf:/etc/postgresql/postgresql.conf',
      ),
    );
    const d = draftSpec(dir);
    const spec = parseSpec(d.text, join(dir, 'slipway.yaml'));
    assert.deepEqual(
      spec.databases[0].init?.map((m) => [m.source, m.target]),
      [
        [join(dir, 'sql', 'schema.sql'), '/docker-entrypoint-initdb.d/1-schema.sql'],
        [join(dir, 'sql', 'fixtures.sql'), '/docker-entrypoint-initdb.d/2-fixtures.sql'],
      ],
    );
    assert.deepEqual(
      d.unmapped.map((u) => [u.line, u.field]),
      [
        [4, 'services.db.command'],
        [10, 'services.db.volumes.3'],
      ],
    );
    assert.match(d.unmapped[1].reason, /Slipway mounts its data volume and its init scripts/);
  });

  it('maps a mounted initdb folder as the folder itself', () => {
    mkdirSync(join(dir, 'initdb'));
    writeFileSync(join(dir, 'initdb', '01.sql'), '-- x\n');
    writeFileSync(join(dir, 'compose.yaml'), compose('./initdb:/docker-entrypoint-initdb.d/'));
    const spec = parseSpec(draftSpec(dir).text, join(dir, 'slipway.yaml'));
    assert.deepEqual(spec.databases[0].init, [{ source: join(dir, 'initdb'), target: '/docker-entrypoint-initdb.d' }]);
  });
});
