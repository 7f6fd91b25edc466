/** A registry's credentials found as the Docker CLI finds them (credHelpers, credsStore, auths), through a real helper executable on PATH, with errors that name the helper and the config and never the secret. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentialStore, registryCredentials } from '../../environments/docker/provider/credentials';
import { writeCredentialHelper } from '../fixtures/credential-helper';

const SECRET = 'hunter2-not-for-logs';
const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe('registry credentials, in the Docker CLI order', () => {
  it("takes the registry's credHelpers entry, else credsStore, else auths", () => {
    const config = {
      auths: { 'reg.example.com': { auth: basic('a', 'b') }, 'other.example.com': { auth: basic('c', 'd') } },
      credHelpers: { 'reg.example.com': 'pass' },
      credsStore: 'secretservice',
    };
    assert.deepEqual(credentialStore(config, 'reg.example.com'), {
      kind: 'helper',
      helper: 'pass',
      setting: 'credHelpers["reg.example.com"]',
      serverAddress: 'reg.example.com',
    });
    // No entry of its own: the default store, although auths holds an entry for it.
    assert.deepEqual(credentialStore(config, 'other.example.com'), {
      kind: 'helper',
      helper: 'secretservice',
      setting: 'credsStore',
      serverAddress: 'other.example.com',
    });
    const { credsStore: _, ...withoutStore } = config;
    assert.deepEqual(credentialStore(withoutStore, 'other.example.com'), { kind: 'auths', key: 'other.example.com' });
    assert.deepEqual(credentialStore(withoutStore, 'none.example.com'), { kind: 'none' });
    // What docker login leaves in auths beside a helper: an empty entry, which holds nothing.
    assert.deepEqual(credentialStore({ auths: { 'x.example.com': {} } }, 'x.example.com'), { kind: 'none' });
    assert.deepEqual(credentialStore({ auths: { 'https://x.example.com': { auth: 'eA==' } } }, 'x.example.com'), {
      kind: 'auths',
      key: 'https://x.example.com',
    });
  });

  it("asks Docker Hub's helper for https://index.docker.io/v1/, under any of the Hub's names", () => {
    assert.deepEqual(credentialStore({ credHelpers: { 'docker.io': 'desktop' } }, 'docker.io'), {
      kind: 'helper',
      helper: 'desktop',
      setting: 'credHelpers["docker.io"]',
      serverAddress: 'https://index.docker.io/v1/',
    });
    assert.equal(credentialStore({ credsStore: 'osxkeychain' }, 'docker.io').kind, 'helper');
    // An image named index.docker.io/... is a Docker Hub image: the Hub's login serves it.
    const hub = { auths: { 'https://index.docker.io/v1/': { auth: basic('ann', SECRET) } } };
    for (const name of ['index.docker.io', 'registry-1.docker.io'])
      assert.deepEqual(credentialStore(hub, name), { kind: 'auths', key: 'https://index.docker.io/v1/' });
    assert.deepEqual(credentialStore({ credHelpers: { 'docker.io': 'desktop' } }, 'index.docker.io'), {
      kind: 'helper',
      helper: 'desktop',
      setting: 'credHelpers["docker.io"]',
      serverAddress: 'https://index.docker.io/v1/',
    });
  });

  it('finds an older auths key with a scheme and a path by its host, as the Docker CLI does', () => {
    const auths = { 'https://reg.example.com:5000/v1/': { auth: basic('a', 'b') }, 'other.example.com': {} };
    assert.deepEqual(credentialStore({ auths }, 'reg.example.com:5000'), {
      kind: 'auths',
      key: 'https://reg.example.com:5000/v1/',
    });
    // Another port is another registry; an entry without credentials holds nothing.
    assert.deepEqual(credentialStore({ auths }, 'reg.example.com'), { kind: 'none' });
    assert.deepEqual(credentialStore({ auths }, 'other.example.com'), { kind: 'none' });
  });

  describe('through a helper executable', () => {
    let dir: string;
    const saved = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, PATH: process.env.PATH };
    const config = (value: object) => writeFileSync(join(dir, 'config.json'), JSON.stringify(value));
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'slipway-creds-'));
      process.env.DOCKER_CONFIG = dir;
      const helper = writeCredentialHelper(dir, 'slipwaytest', {
        'reg.example.com': { Username: 'ann', Secret: SECRET },
        'tok.example.com': { Username: '<token>', Secret: 'identity-token-value' },
      });
      process.env.PATH = helper.path;
    });
    afterEach(() => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('runs docker-credential-NAME get with the server address on stdin and reads { ServerURL, Username, Secret }', () => {
      config({
        credHelpers: { 'reg.example.com': 'slipwaytest' },
        auths: { 'reg.example.com': { auth: basic('old', 'x') } },
      });
      const found = registryCredentials('reg.example.com');
      assert.deepEqual(found.auth, { serveraddress: 'reg.example.com', username: 'ann', password: SECRET });
      assert.equal(
        found.from,
        `docker-credential-slipwaytest (credHelpers["reg.example.com"] in ${join(dir, 'config.json')})`,
      );
      assert.ok(!found.from.includes(SECRET));
      assert.equal(readFileSync(join(dir, 'slipwaytest-asked.log'), 'utf8'), 'reg.example.com\n');
    });

    it('sends Username <token> as an identity token, and treats "credentials not found" as none', () => {
      config({ credsStore: 'slipwaytest' });
      assert.deepEqual(registryCredentials('tok.example.com').auth, {
        serveraddress: 'tok.example.com',
        identitytoken: 'identity-token-value',
      });
      const none = registryCredentials('unknown.example.com');
      assert.equal(none.auth, undefined);
      assert.match(none.from, /^no credentials from docker-credential-slipwaytest \(credsStore in /);
    });

    it('reads auths when no helper is named, and gives none without a Docker config', () => {
      config({ auths: { 'reg.example.com': { auth: basic('bob', 'p:w') } } });
      assert.deepEqual(registryCredentials('reg.example.com').auth, {
        serveraddress: 'reg.example.com',
        username: 'bob',
        password: 'p:w',
      });
      rmSync(join(dir, 'config.json'));
      assert.deepEqual(registryCredentials('reg.example.com'), { from: 'no credentials (no Docker config)' });
    });

    it('names the missing helper binary and the config file that asked for it', () => {
      config({ credHelpers: { 'reg.example.com': 'nosuchhelper' } });
      assert.throws(
        () => registryCredentials('reg.example.com'),
        (err: Error) => {
          assert.match(err.message, /docker-credential-nosuchhelper/);
          assert.match(err.message, /is not installed or not on PATH/);
          assert.ok(err.message.includes(`credHelpers["reg.example.com"] in ${join(dir, 'config.json')}`), err.message);
          return true;
        },
      );
    });

    it('reports a helper that fails or answers garbage without echoing what it printed', () => {
      const bin = join(dir, 'bin');
      writeFileSync(join(bin, 'docker-credential-broken'), `#!/bin/sh\necho 'keychain is locked' >&2\nexit 3\n`, {
        mode: 0o755,
      });
      writeFileSync(join(bin, 'docker-credential-garbled'), `#!/bin/sh\necho 'user ${SECRET}'\n`, { mode: 0o755 });
      config({ credHelpers: { 'a.example.com': 'broken', 'b.example.com': 'garbled' } });
      assert.throws(
        () => registryCredentials('a.example.com'),
        /docker-credential-broken .* failed for a\.example\.com with exit code 3: keychain is locked/,
      );
      assert.throws(
        () => registryCredentials('b.example.com'),
        (err: Error) => {
          assert.match(
            err.message,
            /did not answer get for b\.example\.com with JSON \{ ServerURL, Username, Secret \}/,
          );
          assert.ok(!err.message.includes(SECRET), err.message);
          return true;
        },
      );
    });

    it('refuses a Docker config that is not JSON, naming it', () => {
      writeFileSync(join(dir, 'config.json'), '{ "auths": ');
      assert.throws(
        () => registryCredentials('reg.example.com'),
        new RegExp(`${join(dir, 'config.json')} is not valid JSON`),
      );
    });
  });
});
