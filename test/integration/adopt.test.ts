/**
 * Adopting Slipway in a project outside this repository, on the real Docker Engine and Pulumi:
 * the packed tarball installed into an empty prefix, `slipway init` on compose files of three
 * shapes each previewed healthy with no edits, an image pulled from a registry on 127.0.0.1, and
 * a detached-HEAD CI checkout previewing the branch its CI variables name.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  CLI,
  ROOT,
  RUN,
  docker,
  getStatus,
  git,
  labelled,
  removeDir,
  requireEngines,
  stackFileExists,
  tempHome,
} from './helpers';
import { withClient } from './postgres';
import { startRegistry } from './registry-server';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never through a shell), with a private SLIPWAY_HOME. */
function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; home: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, SLIPWAY_HOME: opts.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out\n${stderr}`));
    }, opts.timeoutMs ?? 600_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The JSON a command printed, inside its envelope's `data` when it has one. */
function jsonOf<T>(r: Run): T {
  const v = JSON.parse(r.stdout) as { data?: T };
  return (v && typeof v === 'object' && 'data' in v ? v.data : v) as T;
}

async function requireImage(tag: string): Promise<void> {
  try {
    await docker.getImage(tag).inspect();
  } catch {
    throw new Error(`the base image ${tag} is missing: run \`npm run setup\` (scripts/bootstrap-images.sh builds it).`);
  }
}

/** `git init` on a branch, everything committed. */
function gitRepo(dir: string, branch: string): void {
  git(['init', '-q', '-b', branch], dir);
  git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'add', '-A'], dir);
  git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'app'], dir);
}

async function assertNothingLeft(project: string, branch: string, home: string): Promise<void> {
  const left = await labelled(project, branch);
  assert.deepEqual(
    [left.containers.length, left.networks.length, left.volumes.length],
    [0, 0, 0],
    'down left Docker objects behind',
  );
  assert.equal(stackFileExists(home, project, branch), false, 'down left the stack behind');
}

describe('adopting Slipway outside this repository', function () {
  this.timeout(20 * 60_000);
  const dirs: string[] = [];
  const scratch = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
    dirs.push(d);
    return d;
  };
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    await requireEngines();
    await requireImage('slipway/busybox:local');
    if (!existsSync(join(ROOT, 'dist', 'extension', 'slipway.js')))
      throw new Error('the packed CLI (dist/extension/slipway.js) is missing: run `npm run build`.');
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    for (const d of dirs) removeDir(d);
  });

  it('packs a tarball that installs into an empty prefix as a working slipway: init on a compose file with PostgreSQL, up, 200, down, nothing left', async () => {
    await requireImage('slipway/postgres:15');
    await requireImage('slipway/node:bookworm');
    const out = scratch('pack');
    const packed = ok(
      await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], { cwd: ROOT, home: out }),
      'npm pack',
    );
    const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const paths = files.map((f) => f.path).filter((p) => !['package.json', 'README.md', 'LICENSE'].includes(p));
    // The CLI's ES-module chunks (named by content hash) and the CommonJS parts they require on first use.
    const chunks = paths.filter((p) => p.startsWith('dist/extension/cli/'));
    for (const f of [
      'slipway.mjs',
      'dockerode-session.cjs',
      'dockerode-buildkit.cjs',
      'docker-modem-ssh.cjs',
      'tar-fs.cjs',
    ])
      assert.ok(chunks.includes(`dist/extension/cli/${f}`), `the tarball lacks dist/extension/cli/${f}`);
    assert.deepEqual(
      chunks.filter((p) => !/^dist\/extension\/cli\/[\w-]+\.(mjs|cjs)$/.test(p)),
      [],
    );
    assert.deepEqual(paths.filter((p) => !p.startsWith('dist/extension/cli/')).sort(), [
      'dist/extension/provider-host.js',
      'dist/extension/runtime/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js',
      'dist/extension/runtime/node_modules/dockerode/index.js',
      'dist/extension/slipway.js',
      'dist/extension/stack-worker.js',
    ]);
    const prefix = join(out, 'prefix');
    ok(
      await run(
        'npm',
        ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(out, filename)],
        { cwd: out, home: out },
      ),
      'npm install -g',
    );
    const bin = join(prefix, 'bin');
    assert.ok(existsSync(join(bin, 'slipway')), 'no slipway on the prefix PATH');

    const project = scratch('adopt-shop');
    cpSync(join(ROOT, 'examples', 'shop'), project, {
      recursive: true,
      filter: (p) => !p.includes('node_modules') && !p.endsWith('slipway.yaml'),
    });
    // The compose file as a team has it, with one line Slipway cannot map.
    const compose = readFileSync(join(project, 'compose.yaml'), 'utf8').replace(
      '  web:\n    build: .\n',
      '  web:\n    build: .\n    tty: true\n',
    );
    writeFileSync(join(project, 'compose.yaml'), compose);
    const branch = `adopt-install-${RUN}`;
    gitRepo(project, branch);
    const home = tempHome('adopt-install');
    dirs.push(home);
    const env = { PATH: `${bin}${delimiter}${process.env.PATH}` };
    const slipway = (...args: string[]) => run('slipway', args, { cwd: project, home, env });

    const init = ok(await slipway('init', '--json'), 'slipway init');
    const draft = jsonOf<{ file: string; unmapped: Array<{ line: number; field: string }> }>(init);
    assert.equal(draft.file, join(project, 'slipway.yaml'));
    assert.deepEqual(
      draft.unmapped.map((u) => [u.line, u.field]),
      [[14, 'services.web.tty']],
    );
    assert.match(readFileSync(draft.file, 'utf8'), /# {3}line 14, services\.web\.tty: tty is not mapped/);

    cleanups.push(() => slipway('down', '--branch', branch));
    // Without the Pulumi CLI it needs, the installed CLI says what is missing and how to get it.
    const noPulumi = await run('slipway', ['up'], {
      cwd: project,
      home,
      env: { ...env, SLIPWAY_PULUMI: join(out, 'no', 'pulumi') },
    });
    assert.equal(noPulumi.code, 1, noPulumi.stderr);
    assert.match(noPulumi.stderr, /SLIPWAY_PULUMI is .*no\/pulumi, which is not a `pulumi` binary/);
    assert.match(noPulumi.stderr, /get\.pulumi\.com \| sh -s -- --version 3\.255\.0/);
    ok(await slipway('up'), 'slipway up');
    const link = ok(await slipway('url', '--service', 'web'), 'slipway url').stdout.trim();
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await getStatus(`${link}/healthz`), 200);
    ok(await slipway('down'), 'slipway down');
    await assertNothingLeft('shop', branch, home);
  });

  it('previews a compose app with build args, env_file and an exposed-only worker with no edits; a detached HEAD takes GITHUB_HEAD_REF', async () => {
    const project = scratch('adopt-args');
    cpSync(join(ROOT, 'test', 'fixtures', 'compose', 'args-envfile'), project, { recursive: true });
    gitRepo(project, 'main');
    git(['checkout', '-q', '--detach'], project);
    const branch = `feature/ci-${RUN}`;
    const home = tempHome('adopt-args');
    dirs.push(home);
    const token = `tok-${RUN}-not-in-state`;
    const env = {
      GITHUB_HEAD_REF: branch,
      GITHUB_REF_NAME: '7/merge',
      GITHUB_REF: 'refs/pull/7/merge',
      API_TOKEN: token,
    };
    const slipway = (...args: string[]) => run(process.execPath, [CLI, ...args], { cwd: project, home, env });

    const draft = jsonOf<{ unmapped: Array<{ field: string }> }>(
      ok(await slipway('init', '--name', 'args-envfile', '--json'), 'slipway init'),
    );
    assert.deepEqual(
      draft.unmapped.map((u) => u.field),
      ['services.worker.cap_add'],
    );
    cleanups.push(() => slipway('down', '--branch', branch));
    const up = ok(await slipway('up', '--json'), 'slipway up on a detached HEAD');
    assert.equal(jsonOf<{ branch: string }>(up).branch, branch);
    const link = ok(await slipway('url', '--service', 'web'), 'slipway url').stdout.trim();
    assert.equal(await getStatus(`${link}/healthz`), 200);
    assert.equal((await (await fetch(`${link}/greeting.txt`)).text()).trim(), 'built-with-args');
    assert.equal((await (await fetch(`${link}/message.txt`)).text()).trim(), 'from the env file');
    assert.equal((await (await fetch(`${link}/entry.txt`)).text()).trim(), 'from the entrypoint');
    const worker = (await labelled('args-envfile', branch)).containers.find(
      (c) => c.Labels['dev.slipway.service'] === 'worker',
    );
    assert.ok(worker, 'no worker container');
    assert.deepEqual(
      worker.Ports.filter((p) => p.PublicPort),
      [],
      'an exposed-only port was published',
    );
    // The secret and the env file's values reach the container, and no state file holds them in plain text.
    const web = (await labelled('args-envfile', branch)).containers.find(
      (c) => c.Labels['dev.slipway.service'] === 'web',
    )!;
    const webEnv = (await docker.getContainer(web.Id).inspect()).Config.Env;
    assert.ok(
      webEnv.includes(`API_TOKEN=${token}`) &&
        webEnv.includes('MESSAGE=from the env file') &&
        webEnv.includes('EXTRA=1'),
      webEnv.join('\n'),
    );
    const leaks = spawnSync('grep', ['-rlF', '-e', token, '-e', 'from the env file', home], {
      encoding: 'utf8',
    }).stdout.trim();
    assert.equal(leaks, '', `secret values in plain text in ${leaks}`);
    ok(await slipway('down'), 'slipway down');
    await assertNothingLeft('args-envfile', branch, home);
  });

  it('previews a compose app with a named volume and a depends_on health condition with no edits; down removes the volume', async () => {
    const project = scratch('adopt-volumes');
    cpSync(join(ROOT, 'test', 'fixtures', 'compose', 'volumes-health'), project, { recursive: true });
    const branch = `adopt-volumes-${RUN}`;
    const home = tempHome('adopt-volumes');
    dirs.push(home);
    const slipway = (...args: string[]) => run(process.execPath, [CLI, ...args], { cwd: project, home });
    const draft = jsonOf<{ unmapped: Array<{ field: string }> }>(ok(await slipway('init', '--json'), 'slipway init'));
    assert.deepEqual(
      draft.unmapped.map((u) => u.field),
      ['services.web.volumes.2', 'services.web.tmpfs', 'networks'],
    );
    cleanups.push(() => slipway('down', '--branch', branch));
    ok(await slipway('up', '--branch', branch), 'slipway up');
    const link = ok(await slipway('url', '--branch', branch, '--service', 'web'), 'slipway url').stdout.trim();
    assert.equal(
      (await (await fetch(`${link}/item.txt`)).text()).trim(),
      'stored',
      'web did not see what store wrote to the shared volume',
    );
    const { volumes, containers } = await labelled('volumes-demo', branch);
    assert.ok(
      volumes.some((v) => v.Name.includes('vol.data')),
      'no named volume data',
    );
    const store = containers.find((c) => c.Labels['dev.slipway.service'] === 'store')!;
    const web = containers.find((c) => c.Labels['dev.slipway.service'] === 'web')!;
    assert.ok(store.Created <= web.Created, 'web was created before the store it depends on');
    ok(await slipway('down', '--branch', branch), 'slipway down');
    await assertNothingLeft('volumes-demo', branch, home);
  });

  it('previews a compose app with a database init script and a migration others wait for, with no edits', async () => {
    const project = scratch('adopt-initdb');
    cpSync(join(ROOT, 'test', 'fixtures', 'compose', 'initdb-migrate'), project, { recursive: true });
    const branch = `adopt-initdb-${RUN}`;
    const home = tempHome('adopt-initdb');
    dirs.push(home);
    const slipway = (...args: string[]) => run(process.execPath, [CLI, ...args], { cwd: project, home });
    const draft = jsonOf<{ unmapped: Array<{ field: string }> }>(ok(await slipway('init', '--json'), 'slipway init'));
    assert.deepEqual(draft.unmapped, [], 'the init script and the migration are both mapped');
    cleanups.push(() => slipway('down', '--branch', branch));
    // web exits at start unless the migration ran before it: up passing shows the order.
    ok(await slipway('up', '--branch', branch), 'slipway up');
    const url = ok(await slipway('url', '--branch', branch, '--database', 'db', '--show-secrets'), 'slipway url');
    const items = await withClient(url.stdout.trim(), (c) =>
      c.query<{ name: string }>('SELECT name FROM items ORDER BY id'),
    );
    assert.deepEqual(
      items.rows.map((r) => r.name),
      ['from the init script', 'from the migration'],
    );
    const status = jsonOf<{ services: Array<{ service: string; state: string }> }>(
      ok(await slipway('status', '--branch', branch, '--json'), 'slipway status'),
    );
    assert.deepEqual(status.services.map((s) => [s.service, s.state]).sort(), [
      ['db', 'running'],
      ['migrate', 'completed'],
      ['web', 'running'],
    ]);
    ok(await slipway('down', '--branch', branch), 'slipway down');
    await assertNothingLeft('adopt-initdb', branch, home);
  });

  it('pulls an image the engine lacks from a registry on 127.0.0.1, and says which pull failed', async () => {
    const registry = await startRegistry('adopt-registry');
    cleanups.push(() => registry.stop());
    const image = `${registry.address}/slipway-pull/busybox:${RUN}`;
    const reg = registry.address.replace(/\./g, '\\.');
    execFileSync('docker', ['tag', 'slipway/busybox:local', image]);
    ok(spawnSyncRun('docker', ['push', image]), 'docker push');
    execFileSync('docker', ['rmi', image]);
    await assert.rejects(docker.getImage(image).inspect(), 'the engine still has the image');

    const project = scratch('adopt-pull');
    writeFileSync(
      join(project, 'slipway.yaml'),
      [
        'version: 1',
        'name: pulled',
        'services:',
        '  web:',
        `    image: ${image}`,
        '    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"]',
        '    ports: [8080]',
        '    healthcheck: { http: /healthz }',
        '',
      ].join('\n'),
    );
    const branch = `adopt-pull-${RUN}`;
    const home = tempHome('adopt-pull');
    dirs.push(home);
    const slipway = (...args: string[]) => run(process.execPath, [CLI, ...args], { cwd: project, home });
    cleanups.push(() => slipway('down', '--branch', branch));
    cleanups.push(() =>
      docker
        .getImage(image)
        .remove()
        .catch(() => undefined),
    );
    ok(await slipway('up', '--branch', branch), 'slipway up');
    await docker.getImage(image).inspect();
    const link = ok(await slipway('url', '--branch', branch), 'slipway url').stdout.trim();
    assert.equal(await getStatus(`${link}/healthz`), 200);
    ok(await slipway('down', '--branch', branch), 'slipway down');
    await assertNothingLeft('pulled', branch, home);

    writeFileSync(
      join(project, 'slipway.yaml'),
      readFileSync(join(project, 'slipway.yaml'), 'utf8').replace(`:${RUN}`, `:missing-${RUN}`),
    );
    const failed = await slipway('up', '--branch', branch);
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stderr, new RegExp(`pulling it from ${reg} failed|pulling image .* from ${reg} failed`));
    await assertNothingLeft('pulled', branch, home);
  });
});

function spawnSyncRun(cmd: string, args: string[]): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
