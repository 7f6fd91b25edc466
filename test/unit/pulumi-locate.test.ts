/**
 * Locating the Pulumi CLI: the cached build or one on PATH, at the SDK's version only; the
 * version of each install is asked once (kept across processes in the cache folder).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../environments/errors';
import { findPulumiRoot } from '../../environments/pulumi/locate';

describe('Pulumi CLI location and version', () => {
  let dir: string;
  let calls: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-pulumi-'));
    calls = join(dir, 'calls');
    writeFileSync(calls, '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A `pulumi` that answers `version` like the real one and counts how often it is asked. */
  function fakePulumi(bin: string, version: string): void {
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'pulumi'), `#!/bin/sh\necho "$0 $*" >> '${calls}'\necho v${version}\n`);
    writeFileSync(join(bin, 'pulumi-resource-pulumi-nodejs'), '#!/bin/sh\n');
    chmodSync(join(bin, 'pulumi'), 0o755);
    chmodSync(join(bin, 'pulumi-resource-pulumi-nodejs'), 0o755);
  }
  const asked = (): number => readFileSync(calls, 'utf8').split('\n').filter(Boolean).length;

  it('uses the cached build at the needed version, asking its version once per install', () => {
    const cache = join(dir, 'cache');
    fakePulumi(join(cache, 'pulumi', 'v3.255.0', 'bin'), '3.255.0');
    const opts = { version: '3.255.0', cache, path: '' };
    assert.equal(findPulumiRoot(opts), join(cache, 'pulumi', 'v3.255.0'));
    assert.equal(findPulumiRoot(opts), join(cache, 'pulumi', 'v3.255.0'));
    assert.equal(asked(), 1);
    // Another process finds the answer in the cache folder.
    const stamps = JSON.parse(readFileSync(join(cache, 'pulumi', 'versions.json'), 'utf8')) as Record<
      string,
      { version: string }
    >;
    assert.deepEqual(
      Object.values(stamps).map((s) => s.version),
      ['3.255.0'],
    );
  });

  it('refuses a pulumi on PATH of another version, naming both versions and npm run setup', () => {
    const bin = join(dir, 'usr', 'bin');
    fakePulumi(bin, '3.99.0');
    const opts = { version: '3.255.0', cache: join(dir, 'cache'), path: bin };
    assert.throws(
      () => findPulumiRoot(opts),
      (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'pulumi-unavailable'));
        assert.match(err.message, /wrong version: v3\.99\.0 at .*usr\/bin\/pulumi; Slipway needs v3\.255\.0/);
        assert.match(err.hint ?? '', /npm run setup/);
        return true;
      },
    );
    assert.throws(() => findPulumiRoot(opts), /v3\.99\.0/);
    assert.equal(asked(), 1, 'a refused install is not asked again either');

    // Replaced by the right version (a new file): asked again, and used.
    rmSync(join(bin, 'pulumi'));
    fakePulumi(bin, '3.255.0');
    assert.equal(findPulumiRoot(opts), join(dir, 'usr'));
    assert.equal(asked(), 2);
  });

  it('skips a wrong version for a right one further along PATH', () => {
    fakePulumi(join(dir, 'a', 'bin'), '3.1.0');
    fakePulumi(join(dir, 'b', 'bin'), '3.255.0');
    assert.equal(
      findPulumiRoot({
        version: '3.255.0',
        cache: join(dir, 'cache'),
        path: `${join(dir, 'a', 'bin')}:${join(dir, 'b', 'bin')}`,
      }),
      join(dir, 'b'),
    );
  });

  it('says where it looked when there is no pulumi at all', () => {
    assert.throws(
      () => findPulumiRoot({ version: '3.255.0', cache: join(dir, 'cache'), path: '' }),
      (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'pulumi-unavailable'));
        assert.match(err.message, /v3\.255\.0 was not found/);
        return true;
      },
    );
  });
  it('takes the pulumi SLIPWAY_PULUMI names (binary or folder) before the cached build and PATH', () => {
    const cache = join(dir, 'cache');
    fakePulumi(join(cache, 'pulumi', 'v3.255.0', 'bin'), '3.255.0');
    fakePulumi(join(dir, 'own', 'bin'), '3.255.0');
    assert.equal(
      findPulumiRoot({ version: '3.255.0', cache, path: '', pulumi: join(dir, 'own', 'bin', 'pulumi') }),
      join(dir, 'own'),
    );
    assert.equal(
      findPulumiRoot({ version: '3.255.0', cache, path: '', pulumi: join(dir, 'own', 'bin') }),
      join(dir, 'own'),
    );
  });

  it('refuses a SLIPWAY_PULUMI that names no pulumi, saying how to get one', () => {
    assert.throws(
      () =>
        findPulumiRoot({
          version: '3.255.0',
          cache: join(dir, 'cache'),
          path: '',
          pulumi: join(dir, 'nowhere', 'pulumi'),
        }),
      (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'pulumi-unavailable'));
        assert.match(err.message, /SLIPWAY_PULUMI is .*nowhere\/pulumi, which is not a `pulumi` binary/);
        assert.match(err.hint ?? '', /get\.pulumi\.com \| sh -s -- --version 3\.255\.0/);
        return true;
      },
    );
  });

  it('tells a user of the installed CLI how to install Pulumi when there is none', () => {
    assert.throws(
      () => findPulumiRoot({ version: '3.255.0', cache: join(dir, 'cache'), path: '' }),
      (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'pulumi-unavailable'));
        assert.match(err.hint ?? '', /--version 3\.255\.0/);
        assert.match(err.hint ?? '', /SLIPWAY_PULUMI/);
        return true;
      },
    );
  });
});
