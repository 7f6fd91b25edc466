/**
 * `slipway init`: compose files of different shapes drafted into specs that load, what could not
 * be mapped listed with its line; Compose's value grammars; the spec fields compose users need
 * (build args, env_file, secrets, volumes, depends_on) checked with file, line and field.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpecError } from '../../environments/errors';
import {
  composeDuration,
  composeMemory,
  containerPort,
  interpolate,
  shellWords,
} from '../../environments/spec/compose-values';
import { draftSpec } from '../../environments/spec/init';
import { parseSpec } from '../../environments/spec/load';
import { parseEnvFile, readSecretEnv } from '../../environments/spec/service-extras';

const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'compose');

describe('slipway init from a compose file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'slipway-init-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A fixture copied to a scratch folder, drafted, and the draft loaded as slipway.yaml there. */
  function draft(fixture: string) {
    cpSync(fixture, dir, { recursive: true });
    const d = draftSpec(dir);
    return { d, spec: parseSpec(d.text, join(dir, 'slipway.yaml')) };
  }

  it('maps a PostgreSQL service to a database and the URL pointing at it to ${{ databases.db.url }}', () => {
    const { d, spec } = draft(join(ROOT, 'examples', 'shop'));
    assert.deepEqual(
      spec.databases.map((db) => [db.name, db.version, db.image, db.user, db.database]),
      [['db', '15', 'slipway/postgres:15', 'app', 'db']],
    );
    const web = spec.services.find((s) => s.name === 'web')!;
    assert.deepEqual(web.env.DATABASE_URL, [{ ref: { kind: 'databases', name: 'db', attr: 'url' } }]);
    assert.deepEqual(web.dependsOn.databases, ['db']);
    assert.deepEqual(web.ports, [8080], "the published port, on a host port of Slipway's choosing");
    assert.deepEqual(web.resources, { cpus: 0.5, memoryBytes: 256 * 1024 * 1024 });
    assert.equal(web.healthcheck?.command?.[0], 'node');
    // The password variable is replaced by Slipway's own, so its missing value is not a problem.
    assert.deepEqual(d.unmapped, []);
  });

  it('maps build args, env_file and entrypoint, keeps exposed-only ports unpublished, and lists cap_add with its line', () => {
    const { d, spec } = draft(join(FIXTURES, 'args-envfile'));
    const web = spec.services.find((s) => s.name === 'web')!;
    assert.deepEqual(web.build?.args, { GREETING: 'built-with-args' });
    assert.equal(web.build?.context, join(dir, 'web'));
    assert.deepEqual(
      web.envFiles?.map((f) => f.path),
      [join(dir, '.env.web')],
    );
    assert.deepEqual(web.env.WORKER_URL, ['http://worker:4000/']);
    assert.deepEqual(web.env.PORT, ['8080'], '${WEB_PORT:-8080} takes its default');
    assert.deepEqual(web.command, ['sh', '-c', 'echo "$MESSAGE" > /www/message.txt && exec httpd -f -p 8080 -h /www']);
    assert.deepEqual(web.dependsOn.services, ['worker']);
    assert.deepEqual(
      web.secrets,
      [{ name: 'API_TOKEN', env: 'API_TOKEN' }],
      'a variable compose took from the shell is a secret read where Slipway runs',
    );
    assert.deepEqual(spec.services.find((s) => s.name === 'worker')!.ports, [], 'expose only: not published');
    assert.deepEqual(
      spec.services.map((s) => s.name),
      ['worker', 'web'],
      'started in depends_on order',
    );
    assert.deepEqual(
      d.unmapped.map((u) => [u.line, u.field]),
      [[30, 'services.worker.cap_add']],
    );
    assert.match(d.text, /# {3}line 30, services\.worker\.cap_add: cap_add is not mapped/);
    assert.deepEqual(web.entrypoint, [
      '/bin/sh',
      '-c',
      'echo from the entrypoint > /www/entry.txt && exec "$@"',
      'entry',
    ]);
  });

  it('maps named volumes, bind mounts inside the project and depends_on health conditions; lists a host socket, tmpfs and networks', () => {
    const { d, spec } = draft(join(FIXTURES, 'volumes-health'));
    assert.equal(spec.name, 'volumes-demo');
    const store = spec.services.find((s) => s.name === 'store')!;
    const web = spec.services.find((s) => s.name === 'web')!;
    assert.deepEqual(store.mounts, [{ volume: 'data', target: '/data', readOnly: false }]);
    assert.deepEqual(web.mounts, [
      { volume: 'data', target: '/data', readOnly: true },
      { source: join(dir, 'config'), target: '/etc/web', readOnly: true },
    ]);
    assert.deepEqual(web.dependsOn.services, ['store']);
    assert.deepEqual(store.resources, { cpus: 0.25, memoryBytes: 64 * 1024 * 1024 });
    assert.deepEqual(store.healthcheck, { command: ['test', '-f', '/data/ready'], intervalMs: 500, timeoutMs: 60_000 });
    assert.deepEqual(
      d.unmapped.map((u) => [u.line, u.field]),
      [
        [29, 'services.web.volumes.2'],
        [36, 'services.web.tmpfs'],
        [39, 'networks'],
      ],
    );
    assert.match(d.unmapped[0].reason, /outside the project folder/);
  });

  it('proposes one built service from a Dockerfile when there is no compose file', () => {
    mkdirSync(join(dir, 'app'));
    writeFileSync(join(dir, 'app', 'Dockerfile'), 'FROM slipway/busybox:local\nEXPOSE 8080/tcp 9090\n');
    const d = draftSpec(dir);
    const spec = parseSpec(d.text, join(dir, 'slipway.yaml'));
    assert.deepEqual(
      spec.services.map((s) => [s.name, s.build?.context, s.ports]),
      [['app', join(dir, 'app'), [8080, 9090]]],
    );
  });

  it('fails naming the folder when there is neither a compose file nor a Dockerfile', () => {
    assert.throws(() => draftSpec(dir), /has no compose file \(compose\.yaml, .*\) and no Dockerfile/);
  });

  it('names the compose file, line and column of a YAML error', () => {
    writeFileSync(join(dir, 'compose.yaml'), 'services:\n  web:\n    image: [unclosed\n');
    assert.throws(() => draftSpec(dir), /compose\.yaml:\d+:\d+: not valid YAML/);
  });
});

describe("Compose's value grammars", () => {
  it('interpolates as Compose does', () => {
    const vars = { A: 'a', EMPTY: '' };
    assert.deepEqual(interpolate('$A ${A} $${A} ${EMPTY:-d} ${EMPTY-d} ${B:-x${A}} ${A:+set} ${B}', vars), {
      text: 'a a ${A} d  xa set ',
      missing: ['B'],
    });
  });
  it('reads durations, sizes, ports and command lines', () => {
    assert.equal(composeDuration('1m30s'), 90_000);
    assert.equal(composeDuration('500ms'), 500);
    assert.equal(composeDuration('soon'), undefined);
    assert.equal(composeMemory('1gb'), '1g');
    assert.equal(composeMemory(1024), 1024);
    assert.equal(containerPort('127.0.0.1:8080:80/tcp'), 80);
    assert.equal(containerPort({ target: 443, published: 8443 }), 443);
    assert.match((containerPort('53:53/udp') as { reason: string }).reason, /UDP/);
    assert.match((containerPort('3000-3005') as { reason: string }).reason, /ranges/);
    assert.deepEqual(shellWords(`sh -c 'echo "a b"' x\\ y "q\\"z"`), ['sh', '-c', 'echo "a b"', 'x y', 'q"z']);
  });
  it('reads env files as Compose does', () => {
    assert.deepEqual(parseEnvFile('# c\n\nA=1\nexport B="two words"\nC=\'lit $X\'\nD=v # note\nnot a line\n'), [
      ['A', '1'],
      ['B', 'two words'],
      ['C', 'lit $X'],
      ['D', 'v'],
    ]);
  });
});

describe('spec fields for compose users', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'slipway-extras-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const spec = (...service: string[]) =>
    ['version: 1', 'name: p', 'services:', '  web:', '    image: x', ...service, '  api:', '    image: y', ''].join(
      '\n',
    );

  function issues(text: string): string[] {
    try {
      parseSpec(text, join(dir, 'slipway.yaml'));
    } catch (err) {
      assert.ok(err instanceof SpecError);
      return err.issues.map((i) => `${i.line}: ${i.message}`);
    }
    return [];
  }

  it('refuses bind mounts outside the project folder, a missing env_file, and an unknown or circular depends_on, each at its line', () => {
    const found = issues(
      spec(
        '    volumes: [../outside:/x, /etc:/etc, ok:/data]',
        '    env_file: .env',
        '    depends_on: [nope, api]',
      ).replace('    image: y', '    image: y\n    depends_on: [web]'),
    );
    assert.ok(
      found.some((i) => /^6: .*bind mount "\.\.\/outside" leaves the project folder/.test(i)),
      found.join('\n'),
    );
    assert.ok(
      found.some((i) => /^6: .*bind mount "\/etc" is not inside the project folder/.test(i)),
      found.join('\n'),
    );
    assert.ok(
      found.some((i) => /^7: .*env_file "\.env" not found/.test(i)),
      found.join('\n'),
    );
    assert.ok(
      found.some((i) => /^8: .*"nope" is not a service or database/.test(i)),
      found.join('\n'),
    );
    assert.ok(
      found.some((i) => /depends_on goes round in a circle: (web -> api -> web|api -> web -> api)/.test(i)),
      found.join('\n'),
    );
  });

  it('reads secrets from the environment and from files, naming an unset variable', () => {
    writeFileSync(join(dir, 'token.txt'), 's3cret\n');
    writeFileSync(join(dir, '.env'), 'FROM_FILE=1\nAPI_KEY=overridden\n');
    const s = parseSpec(
      spec(
        '    env_file: .env',
        '    secrets:',
        '      API_KEY: { env: SLIPWAY_TEST_KEY }',
        '      TOKEN: { file: token.txt }',
      ),
      join(dir, 'slipway.yaml'),
    );
    const web = s.services.find((x) => x.name === 'web')!;
    assert.deepEqual(readSecretEnv(web, s.file, { SLIPWAY_TEST_KEY: 'k' }), [
      'FROM_FILE=1',
      'API_KEY=k',
      'TOKEN=s3cret',
    ]);
    assert.throws(
      () => readSecretEnv(web, s.file, {}),
      /secret API_KEY comes from the environment variable SLIPWAY_TEST_KEY, which is not set/,
    );
  });
});
