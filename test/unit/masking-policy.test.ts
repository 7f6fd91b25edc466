import assert from 'node:assert/strict';
import { MaskingPolicyError, parsePolicy } from '../../environments/data/policy';

const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

function issuesOf(text: string): MaskingPolicyError['issues'] {
  try {
    parsePolicy(text, '/p/masking.yaml');
  } catch (err) {
    assert.ok(MaskingPolicyError.is(err), String(err));
    return err.issues;
  }
  assert.fail('the policy was accepted');
}

describe('masking policy', () => {
  it('parses tables, subsets, every transformer form and the default', () => {
    const policy = parsePolicy(
      yaml(
        'version: 1',
        'default: keep',
        'schemas:',
        '  crm:',
        '    tables:',
        '      audit: skip',
        '      sessions: truncate',
        '      customers:',
        '        subset: { percent: 10 }',
        '        columns:',
        '          email: email',
        '          notes: null',
        '          code: { regex: { pattern: "[0-9]", replace: "#" } }',
        '          profile: { json: { "$.email": email, "$.tags.*": scramble } }',
        '          first_name: firstName',
        '          display: { template: "{first_name}!" }',
        '          status: { keep: reviewed }',
        '          born: { dateShift: { days: 30 } }',
      ),
      '/p/masking.yaml',
    );
    assert.deepEqual(policy.default, { kind: 'keep', reviewed: false });
    const t = policy.schemas.crm;
    assert.equal(t.audit.mode, 'skip');
    assert.equal(t.sessions.mode, 'truncate');
    assert.deepEqual(t.customers.subset, { percent: 10 });
    assert.deepEqual(t.customers.columns.email, { kind: 'fake', fake: 'email' });
    assert.deepEqual(t.customers.columns.notes, { kind: 'null' });
    assert.deepEqual(t.customers.columns.status, { kind: 'keep', reviewed: true });
    assert.deepEqual(t.customers.columns.display, {
      kind: 'template',
      template: '{first_name}!',
      columns: ['first_name'],
    });
    const json = t.customers.columns.profile;
    assert.ok(json.kind === 'json');
    assert.deepEqual(
      json.paths.map((p) => p.path),
      [['email'], ['tags', '*']],
    );
  });

  it('names file, line, column and field of an unknown transformer and an unknown field', () => {
    const issues = issuesOf(
      yaml(
        'version: 1',
        'schemas:',
        '  crm:',
        '    tables:',
        '      customers:',
        '        columns:',
        '          email: emial',
        '        colums: {}',
      ),
    );
    const byField = new Map(issues.map((i) => [i.field, i]));
    const email = byField.get('schemas.crm.tables.customers.columns.email');
    assert.ok(email, JSON.stringify(issues));
    assert.equal(email.file, '/p/masking.yaml');
    assert.equal(email.line, 7);
    assert.equal(email.column, 18);
    const unknown = byField.get('schemas.crm.tables.customers.colums');
    assert.ok(unknown, JSON.stringify(issues));
    assert.equal(unknown.line, 8);
    assert.match(unknown.message, /unknown field "colums"/);
  });

  it('rejects a template naming a column without a rule, and a bad regex, at their lines', () => {
    const issues = issuesOf(
      yaml(
        'version: 1',
        'schemas:',
        '  s:',
        '    tables:',
        '      t:',
        '        columns:',
        '          a: { template: "{b}" }',
        '          c: { regex: { pattern: "(", replace: "" } }',
      ),
    );
    assert.deepEqual(
      issues.map((i) => [i.line, i.field]),
      [
        [8, 'schemas.s.tables.t.columns.c.regex.pattern'],
        [7, 'schemas.s.tables.t.columns.a'],
      ],
    );
  });

  it('reports YAML syntax errors with their position', () => {
    const issues = issuesOf('version: 1\nschemas: [\n');
    assert.equal(issues.length > 0, true);
    assert.match(issues[0].message, /YAML syntax error/);
    assert.equal(issues[0].file, '/p/masking.yaml');
  });
});
