/** `entrypoint`, `user` and `working_dir` of a service in slipway.yaml: their normal form, and each bad value at its line. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpecIssue } from '../../environments/errors';
import { parseSpec } from '../../environments/spec/load';
import { specIssues } from '../spec-issues';

const yaml = (...lines: string[]): string =>
  ['version: 1', 'name: shop', 'services:', '  web:', '    image: x', ...lines].join('\n') + '\n';

describe('slipway.yaml entrypoint, user and working_dir', () => {
  let dir: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-overrides-'));
    file = join(dir, 'slipway.yaml');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const issuesOf = (text: string): SpecIssue[] => specIssues(text, file);

  it('splits an entrypoint string into words (as compose does, no shell), keeps a list, and takes user and working_dir as given', () => {
    const web = parseSpec(
      yaml(
        `    entrypoint: /app/run --config "/etc/app/my config.yml"`,
        '    user: "1000:1000"',
        '    working_dir: /srv',
      ),
      file,
    ).services[0];
    assert.deepEqual(web.entrypoint, ['/app/run', '--config', '/etc/app/my config.yml']);
    assert.equal(web.user, '1000:1000');
    assert.equal(web.workingDir, '/srv');
    assert.deepEqual(parseSpec(yaml('    entrypoint: ["tini", "--"]'), file).services[0].entrypoint, ['tini', '--']);
    const plain = parseSpec(yaml(), file).services[0];
    assert.deepEqual([plain.entrypoint, plain.user, plain.workingDir], [undefined, undefined, undefined]);
  });

  it('refuses a user with spaces and a relative working_dir, each at its line', () => {
    const issues = issuesOf(yaml('    user: "app user"', '    working_dir: srv'));
    const at = (field: string) => issues.find((i) => i.field === field);
    assert.match(at('services.web.user')!.message, /must be a user name or id/);
    assert.equal(at('services.web.user')!.line, 6);
    assert.match(at('services.web.working_dir')!.message, /must be an absolute path/);
    assert.equal(at('services.web.working_dir')!.line, 7);
  });
});
