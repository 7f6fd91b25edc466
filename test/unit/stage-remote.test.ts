import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextEndpoint, dockerConnection } from '../../environments/docker/endpoint';
import { registryName } from '../../environments/docker/registry-ship';
import { bindAddress, endpointHostName, isLocalEngine, urlHost } from '../../environments/docker/remote';
import { SpecError, type SpecIssue } from '../../environments/errors';
import { parseSpec } from '../../environments/spec/load';

const STAGES = [
  'version: 1',
  'name: shop',
  'services:',
  '  web: { image: x }',
  'pipeline:',
  '  stages:',
  '    - preview',
];

describe('stages on Docker contexts and through registries', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-context-'));
    saved = process.env.DOCKER_CONFIG;
    process.env.DOCKER_CONFIG = dir;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.DOCKER_CONFIG;
    else process.env.DOCKER_CONFIG = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A context as `docker context create NAME --docker host=HOST[,ca=,cert=,key=]` writes it. */
  const context = (name: string, host: string, withTls: boolean) => {
    const id = createHash('sha256').update(name).digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(
      join(dir, 'contexts', 'meta', id, 'meta.json'),
      JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } }),
    );
    if (!withTls) return;
    const tls = join(dir, 'contexts', 'tls', id, 'docker');
    mkdirSync(tls, { recursive: true });
    for (const f of ['ca', 'cert', 'key']) writeFileSync(join(tls, `${f}.pem`), `${f} of ${name}`);
  };

  it('resolves context://NAME and context:NAME to the endpoint and TLS files the context holds', () => {
    context('lab', 'tcp://10.1.2.3:2376', true);
    for (const endpoint of ['context://lab', 'context:lab']) {
      const c = dockerConnection(endpoint, { DOCKER_CONFIG: dir });
      assert.deepEqual(
        [c.protocol, c.host, c.port, c.ca, c.cert, c.key],
        ['https', '10.1.2.3', 2376, 'ca of lab', 'cert of lab', 'key of lab'],
      );
    }
    assert.equal(contextEndpoint('context://lab', { DOCKER_CONFIG: dir }).host, 'tcp://10.1.2.3:2376');
  });

  it('takes a context on ssh:// with the host key check, and the default context as the local engine', () => {
    context('remote-ssh', 'ssh://deploy@build.internal:2222', false);
    const c = dockerConnection('context://remote-ssh', { DOCKER_CONFIG: dir, HOME: dir });
    assert.deepEqual([c.protocol, c.host, c.port, c.username], ['ssh', 'build.internal', 2222, 'deploy']);
    assert.equal(typeof c.sshOptions?.hostVerifier, 'function');
    assert.deepEqual(contextEndpoint('context://default', { DOCKER_CONFIG: dir }), { name: 'default', host: '' });
  });

  it('says where it looked for a context that is missing or unreadable', () => {
    assert.throws(
      () => dockerConnection('context://nope', { DOCKER_CONFIG: dir }),
      (err: Error) =>
        err.message.includes('Docker context "nope" not found') && err.message.includes(join(dir, 'contexts', 'meta')),
    );
    const id = createHash('sha256').update('broken').digest('hex');
    mkdirSync(join(dir, 'contexts', 'meta', id), { recursive: true });
    writeFileSync(join(dir, 'contexts', 'meta', id, 'meta.json'), '{ not json');
    assert.throws(
      () => contextEndpoint('context://broken', { DOCKER_CONFIG: dir }),
      /Docker context "broken" cannot be read/,
    );
  });

  it('judges a context by the engine it names: local or remote, URL host, publish address', () => {
    context('local', 'unix:///var/run/docker.sock', false);
    context('far', 'tcp://build.example.com:2376', true);
    context('loop', 'tcp://127.0.0.1:2376', true);
    assert.equal(isLocalEngine('context://local'), true);
    assert.equal(isLocalEngine('context://far'), false);
    assert.equal(endpointHostName('context://far'), 'build.example.com');
    assert.equal(urlHost('context://far'), 'build.example.com');
    assert.equal(bindAddress('context://far'), '0.0.0.0');
    assert.equal(urlHost('context://loop'), '127.0.0.1');
    assert.equal(bindAddress('context://loop'), '127.0.0.1');
    // A context that cannot be read is remote, with no host to name: connecting to it then says why.
    assert.equal(isLocalEngine('context://missing'), false);
    assert.equal(urlHost('context://missing'), '127.0.0.1');
  });

  it('names images in a registry by their release tag, their own name, or what needs them', () => {
    const tag = { repo: 'slipway/shop-web', tag: 'stage_lab-r3' };
    assert.deepEqual(registryName('127.0.0.1:5000', { owner: 'web', ref: 'sha256:' + 'a'.repeat(64), tag }), {
      repo: '127.0.0.1:5000/slipway/shop-web',
      tag: 'stage_lab-r3',
    });
    assert.deepEqual(registryName('reg.example.com/team', { owner: 'db', ref: 'postgres:15' }), {
      repo: 'reg.example.com/team/postgres',
      tag: '15',
    });
    assert.deepEqual(registryName('127.0.0.1:5000', { owner: 'cache', ref: 'ghcr.io/acme/cache' }), {
      repo: '127.0.0.1:5000/acme/cache',
      tag: 'latest',
    });
    assert.deepEqual(registryName('127.0.0.1:5000', { owner: 'the health probe', ref: 'sha256:' + 'b'.repeat(64) }), {
      repo: '127.0.0.1:5000/slipway/the-health-probe',
      tag: 'b'.repeat(12),
    });
  });

  describe('in slipway.yaml', () => {
    const file = () => join(dir, 'slipway.yaml');
    const issuesOf = (lines: string[]): Array<[string, string | undefined, string]> => {
      try {
        parseSpec([...STAGES, ...lines].join('\n') + '\n', file());
      } catch (err) {
        assert.ok(SpecError.is(err), String(err));
        return err.issues.map((i: SpecIssue) => [`${i.line}:${i.column}`, i.field, i.message]);
      }
      return assert.fail('expected the spec to be rejected');
    };

    it('turns `context: NAME` into the endpoint context://NAME and keeps the registry', () => {
      const spec = parseSpec(
        [
          ...STAGES,
          '    - name: lab',
          '      context: lab-tls',
          '      registry: 127.0.0.1:5000/',
          '    - name: prod',
          '      dockerHost: context://prod',
          '      registry: registry.example.com/team',
        ].join('\n') + '\n',
        file(),
      );
      assert.deepEqual(
        spec.pipeline?.stages.slice(1).map((s) => [s.dockerHost, s.registry]),
        [
          ['context://lab-tls', '127.0.0.1:5000'],
          ['context://prod', 'registry.example.com/team'],
        ],
      );
    });

    it('reports a context beside dockerHost, tls on a context, a registry for the local engine and bad values, at their place', () => {
      assert.deepEqual(
        issuesOf([
          '    - name: a',
          '      context: lab',
          '      dockerHost: ssh://deploy@lab',
          '    - name: b',
          '      dockerHost: context://lab',
          '      tls: { certPath: certs }',
          '    - name: c',
          '      registry: 127.0.0.1:5000',
          '    - name: d',
          '      context: "bad name"',
          '      registry: "http://reg:5000"',
        ]),
        [
          [
            '9:7',
            'pipeline.stages[1].context',
            '"context" and "dockerHost" both name the stage\'s engine: keep one (a context is also written dockerHost: context://NAME)',
          ],
          [
            '13:7',
            'pipeline.stages[2].tls',
            '"tls" does not apply to a Docker context, which brings its own TLS material (docker context create --docker ca=…,cert=…,key=…): remove it',
          ],
          [
            '15:7',
            'pipeline.stages[3].registry',
            '"registry" carries images to a stage on another engine, and this stage runs on the local engine: add "dockerHost" or "context", or remove it',
          ],
          [
            '17:16',
            'pipeline.stages[4].context',
            "must be a Docker context name (letters, digits, '_', '.', '+' or '-', as docker context create accepts)",
          ],
          [
            '18:17',
            'pipeline.stages[4].registry',
            'must be a registry: host[:port][/path], e.g. 127.0.0.1:5000 or registry.example.com/team',
          ],
        ],
      );
    });
  });
});
