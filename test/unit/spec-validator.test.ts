/** The bundles' precompiled spec validator (Ajv standalone code made at build time) reports exactly what the schema compiled at run time reports. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compileSchemaValidator } from '../../environments/spec/compile-validator';

const root = join(__dirname, '..', '..');

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

async function precompiledValidator(): Promise<Validate> {
  const { specValidatorSource } = (await import(join(root, 'scripts', 'spec-validator.mjs'))) as {
    specValidatorSource: () => string;
  };
  const module = { exports: {} as { precompiled?: Validate } };
  // The code requires Ajv's runtime helpers, found from this repository as the bundle finds them.
  new Function('require', 'module', 'exports', specValidatorSource())(require, module, module.exports);
  assert.equal(typeof module.exports.precompiled, 'function');
  return module.exports.precompiled!;
}

const documents: Record<string, unknown> = {
  'the example shop': parse(readFileSync(join(root, 'examples', 'shop', 'slipway.yaml'), 'utf8')),
  'no name': { version: 1, services: { web: { image: 'nginx' } } },
  'wrong types': { version: '1', name: 7, services: { web: { image: 3, ports: ['x'] } } },
  'unknown keys and a bad name': { version: 1, name: 'Shop!', servics: {}, services: { 'Bad Name': { image: 'a' } } },
  'a bad duration and memory': {
    version: 1,
    name: 'shop',
    services: { web: { image: 'a', healthcheck: { http: '/h', timeout: 'soon' }, resources: { memory: 'lots' } } },
  },
};

describe('the precompiled spec validator', () => {
  it('gives the same verdict and errors as the schema compiled at run time', async function () {
    this.timeout(60_000);
    const precompiled = await precompiledValidator();
    const compiled = compileSchemaValidator();
    let invalid = 0;
    for (const [name, doc] of Object.entries(documents)) {
      const ok = compiled(doc);
      assert.equal(precompiled(doc), ok, name);
      if (!ok) invalid++;
      const strip = (errors: unknown) => JSON.parse(JSON.stringify(errors ?? null));
      assert.deepEqual(strip(precompiled.errors), strip(compiled.errors), name);
    }
    assert.equal(invalid, Object.keys(documents).length - 1, 'every document but the example is invalid');
  });
});
