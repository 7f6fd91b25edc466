/** The editor's Problems for a failed masking check (extension/seedProblems.ts) over the fake `vscode`: each column at its place in the policy, replaced by the next check, cleared when one passes. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaskingUnsafeError } from '../../environments/data/check';
import { SlipwayError } from '../../environments/errors';
import { languages, useFakeVscode } from './fakes/vscode';

const POLICY = `version: 1
schemas:
  crm:
    tables:
      customers:
        columns:
          id: keep
          notes: keep
`;

describe('masking check problems in the editor', () => {
  let undo: () => void;
  let dir: string;
  let SeedProblems: typeof import('../../extension/seedProblems').SeedProblems;
  before(async () => {
    undo = useFakeVscode();
    ({ SeedProblems } = await import('../../extension/seedProblems'));
  });
  after(() => undo());
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'slipway-seed-problems-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('shows each column of a failed check against the policy, replaces them on the next failure, clears them on a pass', () => {
    const policy = join(dir, 'masking.yaml');
    writeFileSync(policy, POLICY);
    const problems = new SeedProblems();
    const shown = problems.show(
      new MaskingUnsafeError(
        [
          {
            schema: 'crm',
            table: 'customers',
            column: 'notes',
            problem: 'personal-kept',
            why: 'it looks personal (emails)',
          },
          { schema: 'crm', table: 'refunds', column: 'iban', problem: 'no-rule', why: 'no rule names this column' },
        ],
        policy,
      ),
    );
    assert.equal(shown, true);
    const list = languages.collections.get('slipway-masking')!.get(policy)!;
    assert.deepEqual(
      list.map((d) => [d.range.start.line, d.range.start.character, d.message, d.severity]),
      [
        [7, 10, 'crm.customers.notes: it looks personal (emails)', 0],
        [0, 0, 'crm.refunds.iban: no rule names this column', 0],
      ],
    );
    assert.equal(list[0].source, 'slipway masking');
    assert.equal(problems.get(policy).length, 2);

    problems.show(
      new MaskingUnsafeError(
        [{ schema: 'crm', table: 'customers', column: 'id', problem: 'no-rule', why: 'w' }],
        policy,
      ),
    );
    assert.deepEqual(
      problems.get(policy).map((d) => d.message),
      ['crm.customers.id: w'],
    );

    problems.passed(policy);
    assert.equal(problems.get(policy).length, 0);
    problems.dispose();
  });

  it('leaves other errors alone', () => {
    const problems = new SeedProblems();
    assert.equal(problems.show(new SlipwayError('seed-source-missing', 'unset')), false);
    assert.equal(problems.show(new MaskingUnsafeError([])), false, 'no policy file to show them against');
    assert.equal(problems.show(new Error('boom')), false);
    problems.dispose();
  });
});
