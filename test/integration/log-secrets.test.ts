/**
 * Secrets stay out of `slipway logs` on the real Docker Engine and Pulumi: a service that echoes
 * its database password and URL, a spec secret, an env-file value and a share token (one of them
 * written in two pieces, so it reaches the log stream split across frames) shows `***` instead,
 * in a plain read, as JSON and while following.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envNames } from '../../environments/naming';
import {
  RUN,
  docker,
  forceDown,
  jsonData,
  pollFor,
  removeDir,
  requireEngines,
  runCli,
  startCli,
  tempHome,
} from './helpers';
import { waitFor } from '../wait';

const PROJECT = `logsecrets-${RUN}`;
const API_KEY = `ak_${RUN}_7c1f9e0d2b`;
const SESSION = `sess_${RUN}_4a8b2c6d`;
const TOKEN = `tok${RUN}Zq81xYw`;

async function dbPassword(branch: string): Promise<string> {
  const info = await docker.getContainer(envNames(PROJECT, branch).container('db')).inspect();
  const entry = info.Config.Env.find((e) => e.startsWith('POSTGRES_PASSWORD='));
  assert.ok(entry, 'the database container has its password');
  return entry.slice('POSTGRES_PASSWORD='.length);
}

describe('secrets in service logs on real Docker + Pulumi', function () {
  this.timeout(10 * 60 * 1000);
  const branch = `log-secrets-${RUN}`;
  let home: string;
  let dir: string;
  let spec: string;

  before(async () => {
    await requireEngines();
    for (const image of ['slipway/busybox:local', 'slipway/postgres:15'])
      await docker
        .getImage(image)
        .inspect()
        .catch(() => {
          throw new Error(`the base image ${image} is missing: run \`npm run setup\`.`);
        });
    home = tempHome('logsecrets-home');
    dir = tempHome('logsecrets-ws');
    spec = join(dir, 'slipway.yaml');
    writeFileSync(join(dir, 'app.env'), `SESSION_SECRET=${SESSION}\n`);
    writeFileSync(
      spec,
      `version: 1
name: ${PROJECT}
services:
  web:
    image: slipway/busybox:local
    command: 'echo "connecting to $DATABASE_URL"; echo "password: $DB_PASSWORD"; echo "api key $API_KEY"; echo "session $SESSION_SECRET"; echo "GET /?slipway_token=${TOKEN}&x=1"; printf "split %s" "\${DB_PASSWORD:0:5}"; sleep 1; printf "%s done\\n" "\${DB_PASSWORD:5}"; mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www'
    ports: [8080]
    env_file: app.env
    secrets:
      API_KEY: { env: LOGSECRETS_API_KEY }
    env:
      DATABASE_URL: \${{ databases.db.url }}
      DB_PASSWORD: \${{ databases.db.password }}
    healthcheck:
      http: /healthz
      timeout: 60s
databases:
  db:
    engine: postgres
    version: "15"
`,
    );
    const up = await runCli(['up', '--spec', spec, '--branch', branch], home, undefined, {
      LOGSECRETS_API_KEY: API_KEY,
    });
    assert.equal(up.code, 0, up.stderr);
  });

  after(async () => {
    await forceDown(spec, branch, home);
    removeDir(home);
    removeDir(dir);
  });

  it('shows *** for the database password, the spec secret, the env-file value and share tokens, also split across frames and while following', async () => {
    const password = await dbPassword(branch);
    const at = ['--spec', spec, '--branch', branch];
    const read = await waitFor(
      'the service to log its last line',
      async () => {
        const r = await runCli(['logs', 'web', ...at], home);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.includes(' done') ? r.stdout : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const secrets = [password, encodeURIComponent(password), API_KEY, SESSION, TOKEN];
    for (const s of secrets) assert.ok(!read.includes(s), `the logs show a secret in clear:\n${read}`);
    assert.match(read, /^connecting to \*\*\*$/m, 'the URL holding the password');
    assert.match(read, /^password: \*\*\*$/m);
    assert.match(read, /^api key \*\*\*$/m);
    assert.match(read, /^session \*\*\*$/m);
    assert.match(read, /^GET \/\?slipway_token=\*\*\*&x=1$/m);
    assert.match(read, /^split \*\*\* done$/m, 'the password written in two pieces');

    const json = await runCli(['logs', 'web', ...at, '--json'], home);
    const lines = jsonData<{ lines: string[] }>(json.stdout).lines;
    assert.ok(lines.includes('password: ***'));
    for (const s of secrets) assert.ok(!json.stdout.includes(s), 'nor as JSON');

    const follow = startCli(['logs', 'web', '--follow', ...at], home);
    let followed = '';
    follow.stdout!.on('data', (d) => (followed += d));
    await pollFor('logs --follow to print the last line', () => followed.includes(' done') || undefined);
    follow.kill('SIGINT');
    await once(follow, 'close');
    assert.match(followed, /^split \*\*\* done$/m);
    for (const s of secrets) assert.ok(!followed.includes(s), 'nor while following');
  });
});
