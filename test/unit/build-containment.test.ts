import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpecError, type SpecIssue } from '../../environments/errors';
import { parseSpec } from '../../environments/spec/load';

const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
const HEADER = ['version: 1', 'name: shop', 'services:'];

describe('build contexts stay inside the repository', () => {
  let top: string;
  let repo: string;
  let outside: string;
  let file: string;

  before(() => {
    top = realpathSync(mkdtempSync(join(tmpdir(), 'slipway-contain-')));
    repo = join(top, 'repo');
    outside = join(top, 'outside');
    mkdirSync(join(repo, '.git'), { recursive: true });
    mkdirSync(join(repo, 'deploy'), { recursive: true });
    mkdirSync(join(repo, 'app'));
    writeFileSync(join(repo, 'app', 'Dockerfile'), 'FROM scratch\n');
    mkdirSync(outside);
    writeFileSync(join(outside, 'Dockerfile'), 'FROM scratch\n');
    symlinkSync(outside, join(repo, 'deploy', 'escape'));
    symlinkSync(join(repo, 'app'), join(repo, 'deploy', 'inward'));
    file = join(repo, 'deploy', 'slipway.yaml');
  });

  after(() => rmSync(top, { recursive: true, force: true }));

  function issuesOf(text: string, at = file): SpecIssue[] {
    try {
      parseSpec(text, at);
    } catch (err) {
      assert.ok(SpecError.is(err), `expected a SpecError, got ${String(err)}`);
      return err.issues;
    }
    return [];
  }

  const summary = (issues: SpecIssue[]): string[][] => issues.map((i) => [`${i.file}:${i.line}`, i.field, i.message]);

  it('accepts a context elsewhere in the same repository, directly or through an inward symlink', () => {
    const text = yaml(...HEADER, '  web:', '    build: ../app', '  api:', '    build: inward');
    assert.deepStrictEqual(issuesOf(text), []);
  });

  it('rejects a context that climbs out of the repository, naming file, line and field', () => {
    const issues = issuesOf(yaml(...HEADER, '  web:', '    build: ../../outside'));
    assert.deepStrictEqual(summary(issues), [
      [
        `${file}:5`,
        'services.web.build',
        `build context "../../outside" resolves outside the repository ${repo}; a build may only read files inside it`,
      ],
    ]);
  });

  it('rejects an absolute context and a dockerfile that escapes the context', () => {
    const issues = issuesOf(
      yaml(
        ...HEADER,
        '  web:',
        `    build: { context: ${outside} }`,
        '  api:',
        '    build: { context: ../app, dockerfile: ../../../outside/Dockerfile }',
      ),
    );
    assert.deepStrictEqual(
      summary(issues).map(([at, field]) => [at, field]),
      [
        [`${file}:5`, 'services.web.build.context'],
        [`${file}:7`, 'services.api.build.dockerfile'],
      ],
    );
    assert.match(issues[0].message, /is an absolute path/);
    assert.match(issues[1].message, /dockerfile "..\/..\/..\/outside\/Dockerfile" resolves outside the repository/);
  });

  it('rejects a symlink inside the repository that points out of it', () => {
    const issues = issuesOf(yaml(...HEADER, '  web:', '    build: escape'));
    assert.equal(issues.length, 1);
    assert.equal(issues[0].field, 'services.web.build');
    assert.equal(
      issues[0].message,
      `build context "escape" resolves outside the repository ${repo} (through a symbolic link, to ${outside}); ` +
        'a build may only read files inside it',
    );
  });

  it('does not confine a spec outside any git repository (a scratch folder builds from where it names)', () => {
    const loose = join(outside, 'slipway.yaml');
    mkdirSync(join(outside, 'svc'));
    writeFileSync(join(outside, 'svc', 'Dockerfile'), 'FROM scratch\n');
    assert.deepStrictEqual(issuesOf(yaml(...HEADER, '  web:', '    build: svc'), loose), []);
    assert.deepStrictEqual(issuesOf(yaml(...HEADER, '  web:', '    build: ../repo/app'), loose), []);
  });
});
