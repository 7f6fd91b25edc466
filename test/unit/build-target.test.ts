/**
 * `build.target` (the Dockerfile stage to build): in slipway.yaml, its error at its line, and
 * `slipway init` carrying a compose build's target over instead of listing it as not mapped.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpecError } from '../../environments/errors';
import { draftSpec } from '../../environments/spec/init';
import { parseSpec } from '../../environments/spec/load';

describe('build.target', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-target-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch AS dev\nFROM scratch AS prod\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const spec = (build: string) =>
    ['version: 1', 'name: shop', 'services:', '  web:', `    build: ${build}`, ''].join('\n');

  it('is the stage to build; without it the Dockerfile builds its last stage', () => {
    const file = join(dir, 'slipway.yaml');
    assert.deepEqual(parseSpec(spec('{ context: ., target: dev }'), file).services[0].build, {
      context: dir,
      dockerfile: 'Dockerfile',
      target: 'dev',
    });
    assert.equal(parseSpec(spec('.'), file).services[0].build?.target, undefined);
  });

  it('refuses a name no Dockerfile stage can have, at its line', () => {
    try {
      parseSpec(spec('{ context: ., target: "dev stage" }'), join(dir, 'slipway.yaml'));
      assert.fail('expected the spec to be rejected');
    } catch (err) {
      assert.ok(SpecError.is(err), String(err));
      assert.equal(err.issues[0].field, 'services.web.build.target');
      assert.equal(err.issues[0].line, 5);
      assert.match(err.issues[0].message, /must be a stage name of the Dockerfile/);
    }
  });

  it('comes over from a compose build', () => {
    writeFileSync(
      join(dir, 'compose.yaml'),
      ['services:', '  web:', '    build: { context: ., target: dev }', '    ports: ["8080:8080"]', ''].join('\n'),
    );
    const d = draftSpec(dir);
    assert.deepEqual(d.unmapped, []);
    assert.equal(parseSpec(d.text, join(dir, 'slipway.yaml')).services[0].build?.target, 'dev');
  });
});
