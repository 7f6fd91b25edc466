import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpecIssue } from '../../environments/errors';
import { parseSpec } from '../../environments/spec/load';
import { nextRun } from '../../environments/spec/seed';
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

describe('slipway.yaml databases.<name>.seed', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-seed-spec-'));
    file = join(dir, 'slipway.yaml');
    writeFileSync(join(dir, 'masking.yaml'), 'version: 1\n');
    writeFileSync(join(dir, 'shop.dump'), 'dump');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const issuesOf = (text: string): SpecIssue[] => specIssues(text, file);

  it('names an environment variable as the source and resolves the policy next to the spec', () => {
    const spec = parseSpec(
      yaml(...HEAD, '    seed: { source: "${{ env.SHOP_SOURCE_URL }}", policy: masking.yaml, schedule: "0 3 * * *" }'),
      file,
    );
    assert.deepEqual(spec.databases[0].seed, {
      source: { env: 'SHOP_SOURCE_URL' },
      policy: join(dir, 'masking.yaml'),
      schedule: '0 3 * * *',
    });
  });

  it('takes a dump file relative to the spec', () => {
    const spec = parseSpec(
      yaml(...HEAD, '    seed:', '      source: file:shop.dump', '      policy: ./masking.yaml'),
      file,
    );
    assert.deepEqual(spec.databases[0].seed, {
      source: { file: join(dir, 'shop.dump') },
      policy: join(dir, 'masking.yaml'),
    });
  });

  it('refuses a URL written in the spec (its password would sit in the file), at the source line', () => {
    const issues = issuesOf(
      yaml(...HEAD, '    seed:', '      source: postgres://u:pw@db/shop', '      policy: masking.yaml'),
    );
    assert.equal(issues.length, 1);
    assert.equal(issues[0].field, 'databases.db.seed.source');
    assert.equal(issues[0].line, 10);
    assert.match(issues[0].message, /\$\{\{ env\.NAME \}\}/);
  });

  it('reports a missing policy, a missing dump and a bad schedule, each at its line', () => {
    const issues = issuesOf(
      yaml(
        ...HEAD,
        '    seed:',
        '      source: file:nowhere.dump',
        '      policy: absent.yaml',
        '      schedule: every night',
      ),
    );
    const byField = new Map(issues.map((i) => [i.field, i]));
    assert.deepEqual([...byField.keys()].sort(), [
      'databases.db.seed.policy',
      'databases.db.seed.schedule',
      'databases.db.seed.source',
    ]);
    assert.equal(byField.get('databases.db.seed.source')!.line, 10);
    assert.match(byField.get('databases.db.seed.policy')!.message, /slipway data init/);
    assert.equal(byField.get('databases.db.seed.policy')!.line, 11);
    assert.equal(byField.get('databases.db.seed.schedule')!.line, 12);
  });

  it('requires a policy and knows no other key', () => {
    const issues = issuesOf(yaml(...HEAD, '    seed: { source: "${{ env.X }}", polcy: masking.yaml }'));
    assert.ok(
      issues.every((i) => i.file === file && i.line === 9),
      JSON.stringify(issues),
    );
    assert.ok(issues.length >= 1);
  });

  it('finds the next run of a schedule (local time, within a day)', () => {
    const from = new Date('2026-01-01T10:00:00Z');
    const next = nextRun('0 3 * * *', from);
    assert.equal(next.getHours(), 3);
    assert.equal(next.getMinutes(), 0);
    assert.ok(next > from && next.getTime() - from.getTime() <= 24 * 3600_000);
  });
});
