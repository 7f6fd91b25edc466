/**
 * `slipway url --database NAME --stage STAGE` on the real Docker Engine and Pulumi: the stage's own
 * database (its container's password and published port), not the branch preview's.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { envNames, stageBranch } from '../../environments/naming';
import { RUN, cliJson, docker, labelled, removeDir, requireEngines, runCli, tempHome } from './helpers';

const PROJECT = `urlstage-${RUN}`;

/** The password and host port of a database container, as Docker has them. */
async function database(branch: string): Promise<{ password: string; port: string }> {
  const info = await docker.getContainer(envNames(PROJECT, branch).container('db')).inspect();
  const password = info.Config.Env.find((e) => e.startsWith('POSTGRES_PASSWORD='))!.slice('POSTGRES_PASSWORD='.length);
  const port = info.NetworkSettings.Ports['5432/tcp']![0].HostPort;
  return { password, port };
}

describe('slipway url --database --stage on real Docker + Pulumi', function () {
  this.timeout(15 * 60 * 1000);
  const branch = `url-stage-${RUN}`;
  let home: string;
  let app: string;
  let spec: string;
  const cli = (...args: string[]) => runCli([...args, '--spec', spec], home);

  before(async () => {
    await requireEngines();
    home = tempHome('urlstage-home');
    app = tempHome('urlstage-app');
    spec = join(app, 'slipway.yaml');
    writeFileSync(
      spec,
      `version: 1
name: ${PROJECT}
services:
  web:
    image: slipway/busybox:local
    command: "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"
    ports: [8080]
    env:
      DATABASE_URL: \${{ databases.db.url }}
    healthcheck:
      http: /healthz
databases:
  db:
    engine: postgres
    version: "15"
pipeline:
  stages:
    - preview
    - name: staging
`,
    );
    // Promotion takes a preview built from a clean commit; its gate rules come from main.
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: app });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-qm', 'app');
    git('checkout', '-q', '-b', branch);
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promote = await cli('promote', '--from', branch, '--to', 'staging', '--as', 't@example.com');
    assert.equal(promote.code, 0, promote.stderr);
  });

  after(async () => {
    await cli('down', '--branch', branch);
    await cli('down', '--stage', 'staging', '--yes');
    assert.equal((await labelled(PROJECT, stageBranch('staging'))).containers.length, 0);
    removeDir(home);
    removeDir(app);
  });

  it("gives the stage's database URL with --stage, and the branch's without", async () => {
    const stage = await database(stageBranch('staging'));
    const preview = await database(branch);
    assert.notEqual(stage.port, preview.port);

    const staged = await cliJson<{ stage?: string; database: string; url: string }>(
      ['url', '--spec', spec, '--database', 'db', '--stage', 'staging', '--show-secrets'],
      home,
    );
    assert.equal(staged.stage, 'staging');
    const u = new URL(staged.url);
    assert.equal(u.port, stage.port);
    assert.equal(decodeURIComponent(u.password), stage.password);

    const masked = await cli('url', '--database', 'db', '--stage', 'staging');
    assert.equal(masked.code, 0, masked.stderr);
    assert.equal(new URL(masked.stdout.trim()).port, stage.port);
    assert.ok(!masked.stdout.includes(stage.password), 'masked without --show-secrets');

    const own = await cliJson<{ url: string }>(
      ['url', '--spec', spec, '--database', 'db', '--branch', branch, '--show-secrets'],
      home,
    );
    assert.equal(new URL(own.url).port, preview.port);
  });
});
