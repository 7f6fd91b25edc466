/** What each Pulumi operation carries and writes: the provider text kept compressed in the state, and Pulumi's own logs off unless asked for. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pulumiHome } from '../../environments/paths';
import { compactProvider } from '../../environments/pulumi/provider-closure';

// The module Pulumi's dynamic-provider host loads `__provider` with (it has no type declarations).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const requireFromString = require('require-from-string') as (code: string) => unknown;

/** A module shaped as Pulumi's closure serializer writes one: `exports.handler`, functions in `with` scopes, `require` inside bodies. */
function serializedText(functions: number): string {
  const lines = ['exports.handler = __f0;', '', 'var __provider = {};'];
  for (let i = 1; i <= functions; i++) {
    lines.push(
      `function __f${i}(__0) {`,
      '  return (function() {',
      `    with({ step: ${i}, this: undefined, arguments: undefined }) {`,
      `return function /*step${i}*/(name) { return require("node:path").basename("/x/" + name) + ":" + step; };`,
      '    }',
      '  }).apply(undefined, undefined).apply(this, arguments);',
      '}',
      `__provider.f${i} = __f${i};`,
    );
  }
  lines.push('function __f0() { return __provider; }', '');
  return lines.join('\n');
}

describe('what a Pulumi operation carries', () => {
  it('keeps the serialized provider compressed, and Pulumi loads the same provider from it', () => {
    const text = serializedText(400);
    const compact = compactProvider(text);
    assert.ok(compact.length * 4 < text.length, `compressed to ${compact.length} of ${text.length} characters`);
    // As Pulumi's dynamic-provider host loads `__provider`: requireFromString(text).handler().
    type Provider = Record<string, (name: string) => string>;
    const plain = (requireFromString(text) as { handler(): Provider }).handler();
    const loaded = (requireFromString(compact) as { handler(): Provider }).handler();
    assert.deepEqual(Object.keys(loaded), Object.keys(plain));
    assert.equal(loaded.f1('a.txt'), 'a.txt:1');
    assert.equal(loaded.f400('b.txt'), plain.f400('b.txt'));
    assert.equal(compactProvider(text), compact, 'the same text compresses to the same module (no diff between runs)');
  });

  describe("Pulumi's logs", () => {
    let home: string;
    const saved = process.env.SLIPWAY_PULUMI_LOGS;
    beforeEach(() => {
      home = mkdtempSync(join(tmpdir(), 'slipway-pulumi-home-'));
      delete process.env.SLIPWAY_PULUMI_LOGS;
    });
    afterEach(() => {
      rmSync(home, { recursive: true, force: true });
      if (saved === undefined) delete process.env.SLIPWAY_PULUMI_LOGS;
      else process.env.SLIPWAY_PULUMI_LOGS = saved;
    });

    it('are off: a file stands where Pulumi would make its logs folder, also over an older one', () => {
      const dir = pulumiHome(home);
      assert.equal(dir, join(home, 'pulumi'));
      assert.ok(statSync(join(dir, 'logs')).isFile());
      rmSync(join(dir, 'logs'));
      mkdirSync(join(dir, 'logs'));
      writeFileSync(join(dir, 'logs', 'pulumi-20260101T000000-1-up.log'), 'x');
      pulumiHome(home);
      assert.ok(statSync(join(dir, 'logs')).isFile(), 'the folder an older install left is replaced');
    });

    it('come back with SLIPWAY_PULUMI_LOGS=1', () => {
      const dir = pulumiHome(home);
      process.env.SLIPWAY_PULUMI_LOGS = '1';
      pulumiHome(home);
      assert.throws(() => statSync(join(dir, 'logs')), /ENOENT/, 'Pulumi makes its folder again');
      mkdirSync(join(dir, 'logs'));
      pulumiHome(home);
      assert.ok(statSync(join(dir, 'logs')).isDirectory(), 'and keeps it');
    });
  });
});
