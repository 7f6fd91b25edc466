/**
 * A stack whose state was written by an earlier Slipway (its dynamic provider serialized into the
 * state from the one-file `environments/docker/provider.ts` of commit ff64ad3) is updated and torn
 * down by this checkout's CLI, on the real Docker Engine and Pulumi. The earlier CLI and stack
 * worker are built from git into a temp folder, the way scripts/build.mjs builds them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { envNames } from '../../environments/naming';
import {
  ROOT,
  RUN,
  docker,
  forceDown,
  getStatus,
  jsonData,
  labelled,
  removeDir,
  requireEngines,
  runCli,
  stackFileExists,
  tempHome,
  type CliResult,
} from './helpers';

/** The last commit whose provider was one file; its state format is what this test carries forward. */
const BEFORE_SPLIT = 'ff64ad3';
const PROJECT = 'upgrade';
const BUSYBOX = 'slipway/busybox:local';

/** Builds that commit's CLI and stack worker (npm packages from this checkout's node_modules). */
async function buildOldCli(dir: string): Promise<string> {
  let archive: Buffer;
  try {
    archive = execFileSync('git', ['archive', BEFORE_SPLIT, 'environments', 'tsconfig.json', 'package.json'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    throw new Error(
      `this test builds Slipway as of commit ${BEFORE_SPLIT} from git, and git could not read it (a shallow clone?): ${(err as Error).message}`,
      { cause: err },
    );
  }
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const common = {
    absWorkingDir: dir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    logLevel: 'warning',
  } as const;
  await build({ ...common, entryPoints: ['environments/cli/main.ts'], outfile: join(dir, 'dist', 'slipway.js') });
  await build({
    ...common,
    entryPoints: ['environments/pulumi/entry.ts'],
    outfile: join(dir, 'dist', 'stack-worker.js'),
  });
  return join(dir, 'dist', 'slipway.js');
}

function runOldCli(cli: string, args: string[], home: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, SLIPWAY_HOME: home, SLIPWAY_WORKER: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A service built from a context (image, container with an HTTP health check) beside a database (network, volume, password). */
function writeSpec(dir: string, greeting: string): string {
  const context = join(dir, 'web');
  mkdirSync(context, { recursive: true });
  writeFileSync(
    join(context, 'Dockerfile'),
    `FROM ${BUSYBOX}\nRUN mkdir -p /www && echo ok > /www/healthz\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n`,
  );
  const file = join(dir, 'slipway.yaml');
  writeFileSync(
    file,
    `version: 1
name: ${PROJECT}
services:
  web:
    build: ./web
    ports: [8080]
    env:
      GREETING: ${greeting}
      DATABASE_URL: \${{ databases.db.url }}
    healthcheck:
      http: /healthz
      timeout: 30s
databases:
  db:
    engine: postgres
    version: "15"
`,
  );
  return file;
}

/** The stack's state file, parsed. */
function stackState(
  home: string,
  branch: string,
): { checkpoint: { latest: { resources?: Array<{ type: string; inputs?: Record<string, unknown> }> } } } {
  const names = envNames(PROJECT, branch);
  const dir = join(home, 'state', '.pulumi', 'stacks', names.pulumiProject);
  const file = readdirSync(dir).find((f) => f === `${names.stack}.json` || f === `${names.stack}.json.gz`);
  assert.ok(file, `no state file for ${names.stack} in ${dir}`);
  const raw = readFileSync(join(dir, file));
  return JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
}

describe('a stack made by the Slipway before the provider split', function () {
  this.timeout(900_000);
  const branch = `upgrade/${RUN}`;
  let dir: string;
  let home: string;
  let spec: string;
  let oldCli: string;

  before(async () => {
    await requireEngines();
    dir = mkdtempSync(join(tmpdir(), 'slipway-upgrade-'));
    home = tempHome('upgrade');
    spec = writeSpec(dir, 'before');
    oldCli = await buildOldCli(mkdtempSync(join(tmpdir(), 'slipway-old-cli-')));
  });

  after(async () => {
    if (spec) await forceDown(spec, branch, home);
    if (dir) removeDir(dir);
    if (home) removeDir(home);
    if (oldCli) removeDir(join(oldCli, '..', '..'));
  });

  it('is updated and torn down by this code, leaving nothing behind', async () => {
    const first = await runOldCli(oldCli, ['up', '--spec', spec, '--branch', branch, '--json'], home);
    assert.equal(first.code, 0, `the earlier CLI's up failed:\n${first.stderr}`);
    const kinds = stackState(home, branch)
      .checkpoint.latest.resources?.filter((r) => r.type.startsWith('pulumi-nodejs:dynamic/'))
      .map((r) => r.type.split(':').pop())
      .sort();
    assert.deepEqual(kinds, [
      'DockerContainer',
      'DockerContainer',
      'DockerImage',
      'DockerImage',
      'DockerNetwork',
      'DockerVolume',
      'GeneratedPassword',
    ]);
    const serialized = stackState(home, branch).checkpoint.latest.resources?.find((r) => r.inputs?.__provider)?.inputs
      ?.__provider;
    assert.equal(typeof serialized, 'string', 'the state carries the serialized provider');
    const before = (await labelled(PROJECT, branch)).containers.find((c) => c.Labels['dev.slipway.service'] === 'web');
    assert.ok(before, 'the earlier up made the web container');

    // This checkout's up: one env value changed, so the web container is replaced (the old
    // one deleted through what the state holds) and the rest stays.
    writeSpec(dir, 'after');
    const up = await runCli(['up', '--spec', spec, '--branch', branch, '--json'], home);
    assert.equal(up.code, 0, `this checkout's up of the earlier state failed:\n${up.stderr}`);
    const urls = jsonData<{ urls: Record<string, string> }>(up.stdout).urls;
    assert.equal(await getStatus(`${urls.web}/healthz`), 200);
    const after = (await labelled(PROJECT, branch)).containers.find((c) => c.Labels['dev.slipway.service'] === 'web');
    assert.ok(after && after.Id !== before.Id, 'the web container was recreated with its new env');
    const env = (await docker.getContainer(after.Id).inspect()).Config.Env;
    assert.ok(
      env.includes('GREETING=after'),
      `the new container has the new env: ${env.filter((e) => e.startsWith('GREETING')).join(', ')}`,
    );

    const down = await runCli(['down', '--spec', spec, '--branch', branch], home);
    assert.equal(down.code, 0, `this checkout's down failed:\n${down.stderr}`);
    const left = await labelled(PROJECT, branch);
    assert.deepEqual(
      { containers: left.containers.length, networks: left.networks.length, volumes: left.volumes.length },
      { containers: 0, networks: 0, volumes: 0 },
    );
    assert.equal(stackFileExists(home, PROJECT, branch), false, 'the stack is removed');
  });
});
