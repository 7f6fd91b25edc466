/** Node's compile cache for the CLI: where it lives, and that the installed bin turns it on where Node has one (and runs the same where it has not). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCacheDir } from '../../environments/cli/compile-cache';

describe("the CLI's compile cache", () => {
  it('lives under SLIPWAY_HOME when it is set, else in the cache folder Slipway uses for its builds', () => {
    assert.equal(compileCacheDir({ SLIPWAY_HOME: '/srv/s' }), join('/srv/s', 'cache', 'compile'));
    assert.equal(compileCacheDir({ SLIPWAY_CACHE: '/c' }), join('/c', 'compile'));
    assert.equal(compileCacheDir({ XDG_CACHE_HOME: '/x' }), join('/x', 'slipway', 'compile'));
    assert.equal(compileCacheDir({}), join(homedir(), '.cache', 'slipway', 'compile'));
  });

  it('is written by the bin on a Node that has one, and never on one that has not', () => {
    const cli = join(__dirname, '..', '..', 'dist', 'extension', 'slipway.js');
    if (!existsSync(cli)) throw new Error('dist/extension/slipway.js is missing: run `node scripts/build.mjs`.');
    const home = mkdtempSync(join(tmpdir(), 'slipway-compile-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_HOME: home };
      delete env.NODE_COMPILE_CACHE;
      delete env.NODE_DISABLE_COMPILE_CACHE;
      assert.match(execFileSync(process.execPath, [cli, 'version'], { env, encoding: 'utf8' }), /^\d+\.\d+\.\d+/);
      const dir = join(home, 'cache', 'compile');
      if (typeof (nodeModule as { enableCompileCache?: unknown }).enableCompileCache === 'function')
        assert.ok(existsSync(dir) && readdirSync(dir).length > 0, `Node ${process.version} wrote no cache in ${dir}`);
      else assert.equal(existsSync(dir), false, `Node ${process.version} has no compile cache, yet ${dir} was made`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
