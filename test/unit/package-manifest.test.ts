// The installable package: `npm install -g slipway-<v>.tgz` must need no registry, so nothing is a run-time dependency.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('the installable package', () => {
  it('declares no dependencies: the CLI, worker and gateway bundles carry every library they use', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      bin?: Record<string, string>;
    };
    assert.deepEqual(
      Object.keys(pkg.dependencies ?? {}),
      [],
      'a library in "dependencies" makes npm fetch it at install time; esbuild bundles it, so list it in devDependencies',
    );
    assert.ok(pkg.bin?.slipway, 'package.json names the slipway command in "bin"');
  });
});
