import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commands } from '../../environments/cli/commands';
import { parseOptions } from '../../environments/cli/options';
import { seedLine } from '../../environments/cli/seed-progress';
import { SlipwayError } from '../../environments/errors';
import { hostOf, resolveSource } from '../../environments/data/preview-seed';
import { projectKey, projectKeyPath } from '../../environments/data/project-key';
import { readSeedRecord, recordSeed, removeSeedRecord } from '../../environments/data/seed-record';
import { beforeServices, newSeededDatabases, seedNewDatabases } from '../../environments/data/up-seed';
import { envNames } from '../../environments/naming';
import { parseSpec } from '../../environments/spec/load';
import type { EnvRecord } from '../../environments/records';

describe('seeding a preview: the parts without engines', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-seed-parts-'));
    writeFileSync(join(dir, 'masking.yaml'), 'version: 1\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const spec = () =>
    parseSpec(
      [
        'version: 1',
        'name: shop',
        'services:',
        '  web: { image: x, ports: [80], env: { DB: "${{ databases.db.url }}" } }',
        '  worker: { image: x, env: { WEB: "${{ services.web.url }}" } }',
        '  cron: { image: x }',
        'databases:',
        '  db: { engine: postgres, version: "15", seed: { source: "${{ env.SRC }}", policy: masking.yaml } }',
        '  cache: { engine: postgres, version: "15" }',
        '',
      ].join('\n'),
      join(dir, 'slipway.yaml'),
    );

  it('a new environment seeds its seeded databases and starts them with no service first', () => {
    const s = spec();
    assert.deepEqual(
      newSeededDatabases(s).map((d) => d.name),
      ['db'],
    );
    assert.deepEqual(beforeServices(s, new Set(['db'])).services, []);
  });

  it('an existing environment keeps the services that do not use the new database (nor through another service)', () => {
    const s = spec();
    const prior = { applied: { containers: { web: 'a', worker: 'b', cron: 'c', cache: 'd' } } } as unknown as EnvRecord;
    assert.deepEqual(
      beforeServices(s, new Set(['db']), prior).services.map((x) => x.name),
      ['cron'],
    );
    const seededAlready = { applied: { containers: { db: 'e' } } } as unknown as EnvRecord;
    assert.deepEqual(newSeededDatabases(s, seededAlready), []);
  });

  it('never seeds a pipeline stage (staging, production): only branch previews', async () => {
    let made = 0;
    const ctx = {
      home: dir,
      docker: () => Promise.reject(new Error('no docker')),
      names: envNames('shop', 'stage:production'),
      up: async () => made++,
      down: async () => made++,
    };
    await seedNewDatabases(spec(), ctx, {});
    assert.equal(made, 0);
  });

  it('reads the source from its variable, shows only host, port and database, and names an unset variable', () => {
    const db = spec().databases[0];
    const src = resolveSource(db.seed!, 'db', undefined, { SRC: 'postgres://me:s3cret@src.example:6543/shop' });
    assert.equal(src.shown, 'src.example:6543/shop');
    assert.equal(hostOf('postgresql://u@h/db'), 'h:5432/db');
    assert.throws(
      () => resolveSource(db.seed!, 'db', undefined, {}),
      (err: unknown) => SlipwayError.is(err, 'seed-source-missing') && /\$SRC, which is not set/.test(err.message),
    );
    assert.throws(
      () => resolveSource(db.seed!, 'db', undefined, { SRC: 'mysql://u:pw@h/db' }),
      (err: unknown) => SlipwayError.is(err, 'seed-source-missing') && !err.message.includes('pw@'),
    );
  });

  it('makes the project key once (0600) and reads the same one back', () => {
    const a = projectKey(dir, 'shop');
    assert.equal(a.length, 32);
    assert.deepEqual(projectKey(dir, 'shop'), a);
    assert.notDeepEqual(projectKey(dir, 'other'), a);
    assert.equal(statSync(projectKeyPath(dir, 'shop')).mode & 0o777, 0o600);
    writeFileSync(projectKeyPath(dir, 'bad'), 'nope');
    assert.throws(
      () => projectKey(dir, 'bad'),
      (err: unknown) => SlipwayError.is(err, 'file-damaged'),
    );
  });

  it('records each database seed apart and forgets them with the environment', () => {
    const seed = {
      source: 'h:5432/db',
      policy: '/p/masking.yaml',
      policyHash: 'ab',
      rows: 3,
      tables: 1,
      at: '2026-01-01T00:00:00.000Z',
      durationMs: 5,
    };
    recordSeed(dir, 'shop', 'main-abc123', 'db', seed);
    recordSeed(dir, 'shop', 'main-abc123', 'other', { ...seed, rows: 4 });
    assert.deepEqual(Object.keys(readSeedRecord(dir, 'shop', 'main-abc123')!.databases), ['db', 'other']);
    removeSeedRecord(dir, 'shop', 'main-abc123');
    assert.equal(readSeedRecord(dir, 'shop', 'main-abc123'), undefined);
  });

  it('prints table progress and steps', () => {
    assert.equal(
      seedLine({ type: 'seed', database: 'db', table: 'crm.customers', rows: 10, rowsPerSecond: 5, done: true }),
      'seed db crm.customers: 10 rows (5 rows/s) done',
    );
    assert.equal(seedLine({ type: 'seed', database: 'db', message: 'checking' }), 'seed db: checking');
  });

  it('url: --show-secrets needs --database, which excludes --service', () => {
    const o = commands.url.options;
    assert.equal(parseOptions('url', o, ['--database', 'db', '--show-secrets'])['show-secrets'], true);
    assert.throws(
      () => parseOptions('url', o, ['--show-secrets']),
      (err: unknown) => SlipwayError.is(err, 'usage') && /--database/.test(err.message),
    );
    assert.throws(
      () => parseOptions('url', o, ['--service', 'web', '--database', 'db']),
      (err: unknown) => SlipwayError.is(err, 'usage'),
    );
  });
});
