/** `pipeline.stages[].seed` in slipway.yaml (the data profile a promotion carries): accepted values, and errors with file, line and field. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpecIssue } from '../../environments/errors';
import { describeProfile } from '../../environments/pipeline/data-profile';
import { parseSpec } from '../../environments/spec/load';
import { specIssues } from '../spec-issues';

const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
const head = (seeded: boolean) => [
  'version: 1',
  'name: shop',
  'services:',
  '  web: { image: x }',
  'databases:',
  '  db:',
  '    engine: postgres',
  '    version: "15"',
  ...(seeded ? ['    seed: { source: "${{ env.SHOP_SOURCE_URL }}", policy: masking.yaml }'] : []),
  'pipeline:',
  '  stages:',
];

describe('slipway.yaml pipeline.stages[].seed', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-stage-seed-'));
    file = join(dir, 'slipway.yaml');
    writeFileSync(join(dir, 'masking.yaml'), 'version: 1\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const issuesOf = (text: string): SpecIssue[] => specIssues(text, file);

  it('reads same and none, and leaves it unset when not written', () => {
    const spec = parseSpec(
      yaml(
        ...head(true),
        '    - preview',
        '    - { name: staging, seed: same }',
        '    - name: production',
        '      seed: none',
        '    - qa',
      ),
      file,
    );
    assert.deepEqual(
      spec.pipeline?.stages.map((s) => [s.name, s.seed]),
      [
        ['preview', undefined],
        ['staging', 'same'],
        ['production', 'none'],
        ['qa', undefined],
      ],
    );
  });

  it('rejects another value at its line and field', () => {
    const issues = issuesOf(yaml(...head(true), '    - preview', '    - name: staging', '      seed: masked'));
    assert.equal(issues.length, 1, JSON.stringify(issues));
    assert.deepEqual([issues[0].file, issues[0].line, issues[0].field], [file, 14, 'pipeline.stages[1].seed']);
    assert.match(issues[0].message, /same .*or none/);
  });

  it('rejects seed: same when no database has a seed to carry, and seed on the preview stage', () => {
    const none = issuesOf(yaml(...head(false), '    - preview', '    - { name: staging, seed: same }'));
    assert.equal(none.length, 1, JSON.stringify(none));
    assert.deepEqual([none[0].line, none[0].field], [12, 'pipeline.stages[1].seed']);
    assert.match(none[0].message, /no database of this spec has a seed/);

    const first = issuesOf(yaml(...head(true), '    - { name: preview, seed: same }', '    - staging'));
    assert.equal(first.length, 1, JSON.stringify(first));
    assert.deepEqual([first[0].line, first[0].field], [12, 'pipeline.stages[0].seed']);
    assert.match(first[0].message, /branch previews, which are seeded by databases/);
  });

  it('rejects seed: same on a Swarm stage at its line and field, and accepts seed: none there', () => {
    const swarm = (seed: string) =>
      yaml(...head(true), '    - preview', '    - name: cluster', '      orchestrator: swarm', `      seed: ${seed}`);
    const issues = issuesOf(swarm('same'));
    assert.equal(issues.length, 1, JSON.stringify(issues));
    assert.deepEqual([issues[0].file, issues[0].line, issues[0].field], [file, 15, 'pipeline.stages[1].seed']);
    assert.match(issues[0].message, /a Swarm stage is not seeded: .*write seed: none/);
    assert.equal(parseSpec(swarm('none'), file).pipeline?.stages[1].seed, 'none');
  });

  it('describes a release data profile in one line (history, the pipeline view)', () => {
    const databases = { db: { policy: 'masking.yaml', policyHash: 'ab'.repeat(32), source: '127.0.0.1:5432/shop' } };
    assert.equal(describeProfile({ seed: 'same', databases }), 'data seeded with db: masking.yaml sha256:abababababab');
    assert.equal(
      describeProfile({ seed: 'none', databases }),
      'data not seeded (the preview had db: masking.yaml sha256:abababababab)',
    );
    assert.equal(describeProfile({ seed: 'none', databases: {} }), undefined);
    assert.equal(describeProfile(undefined), undefined);
  });
});
