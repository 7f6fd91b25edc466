/**
 * What a user meets when an operation fails or a process dies, through the real `slipway` CLI on
 * the real Docker Engine and Pulumi: a killed stack worker, a database removed by hand, a first
 * `up` that fails (a broken build, a health check that never passes, a container that exits),
 * and secrets that never leave SLIPWAY_HOME.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_ENV, LABEL_PROJECT, envNames } from '../../environments/naming';
import {
  ROOT,
  RUN,
  copyFixture,
  docker,
  forceDown,
  getStatus,
  jsonData,
  labelled,
  removeDir,
  requireEngines,
  runCli,
  stackFileExists,
  startCli,
  tempHome,
} from './helpers';

const PROJECT = 'failures';
const BUSYBOX = 'slipway/busybox:local';

interface StatusJson {
  status: string;
  urls: Record<string, string>;
  missing?: string[];
  services: Array<{ service: string; state: string }>;
  lastOperation?: { op: string; status: string; error?: string };
}

const DB = `databases:
  db:
    engine: postgres
    version: "15"
`;

/** A web service that answers /healthz (busybox httpd) beside a database. */
const HEALTHY_WEB = `  web:
    image: ${BUSYBOX}
    command: "mkdir -p /www && echo ok > /www/healthz && exec httpd -f -p 8080 -h /www"
    ports: [8080]
    env:
      DATABASE_URL: \${{ databases.db.url }}
    healthcheck:
      http: /healthz
      timeout: 30s
`;

/** Writes a spec (its services block, plus the database) into a fresh folder; returns its path. */
function writeSpec(prefix: string, services: string): string {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  const file = join(dir, 'slipway.yaml');
  writeFileSync(file, `version: 1\nname: ${PROJECT}\nservices:\n${services}${DB}`);
  return file;
}

/** Everything labelled for the environment: containers, networks and volumes, and images. */
async function everything(
  branch: string,
): Promise<{ containers: number; networks: number; volumes: number; images: number }> {
  const objs = await labelled(PROJECT, branch);
  const names = envNames(PROJECT, branch);
  const images = await docker.listImages({
    all: true,
    filters: { label: [`${LABEL_PROJECT}=${names.project}`, `${LABEL_ENV}=${names.env}`] },
  });
  return {
    containers: objs.containers.length,
    networks: objs.networks.length,
    volumes: objs.volumes.length,
    images: images.length,
  };
}

/**
 * Pulumi's processes started for `home`: the CLI, and any plugin (the nodejs shim and its
 * dynamic-provider child, when the engine starts it rather than attaching to the worker's thread).
 */
function pulumiProcesses(home: string): number[] {
  const pids = ['/bin/pulumi ', 'pulumi-resource-pulumi-nodejs', 'cmd/dynamic-provider'].flatMap((pattern) =>
    spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number),
  );
  return [...new Set(pids)].filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`SLIPWAY_HOME=${home}`);
    } catch {
      return false; // gone, or not ours to read
    }
  });
}

/** Files under `root` (not under `skip`) whose content holds `needle`. */
function filesContaining(root: string, needle: string, skip: string, depth = 0): string[] {
  if (depth > 6 || root === skip) return [];
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries) {
    const path = join(root, entry);
    try {
      const st = lstatSync(path);
      if (st.isDirectory()) found.push(...filesContaining(path, needle, skip, depth + 1));
      else if (st.isFile() && st.size < 4 * 1024 * 1024 && readFileSync(path).includes(needle)) found.push(path);
    } catch {
      // unreadable or gone: not ours
    }
  }
  return found;
}

/** The generated password of the environment's database, as its container holds it. */
async function dbPassword(branch: string): Promise<string> {
  const info = await docker.getContainer(envNames(PROJECT, branch).container('db')).inspect();
  const entry = info.Config.Env.find((e) => e.startsWith('POSTGRES_PASSWORD='));
  assert.ok(entry, 'the database container has its password');
  return entry.slice('POSTGRES_PASSWORD='.length);
}

async function status(spec: string, branch: string, home: string): Promise<StatusJson> {
  const r = await runCli(['status', '--spec', spec, '--branch', branch, '--json'], home);
  assert.equal(r.code, 0, r.stderr);
  return jsonData<StatusJson>(r.stdout);
}

describe('failures and interruptions on real Docker + Pulumi', function () {
  this.timeout(15 * 60 * 1000);
  let home: string;
  const specs: string[] = [];

  before(async () => {
    await requireEngines();
    await docker
      .getImage(BUSYBOX)
      .inspect()
      .catch((err: Error) => {
        throw new Error(`these tests need the local image ${BUSYBOX}; run \`npm run setup\` (${err.message})`);
      });
    home = tempHome('failures');
  });

  after(() => {
    for (const s of specs) removeDir(join(s, '..'));
    removeDir(home);
  });

  describe('kill -9 of the stack worker in the middle of up', () => {
    const branch = `worker-killed-${RUN}`;
    let spec: string;
    before(() => specs.push((spec = writeSpec('killed', HEALTHY_WEB))));
    after(() => forceDown(spec, branch, home));

    it('fails with its own cause, leaves no Pulumi process and no secret outside SLIPWAY_HOME, and the next up converges', async () => {
      const cli = startCli(['up', '--spec', spec, '--branch', branch], home);
      let stderr = '';
      cli.stderr!.on('data', (d) => (stderr += d));
      const closed = new Promise<number | null>((resolve) => cli.once('close', resolve));
      let pluginsBefore: number[] = [];
      let workerPid = 0;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`the database container was never being created:\n${stderr}`)),
          300_000,
        );
        cli.stderr!.on('data', () => {
          // Mid-flight: the database container is being created, Pulumi is running.
          if (workerPid || !/create\s+container db \.\.\./.test(stderr)) return;
          clearTimeout(timer);
          const children = execFileSync('pgrep', ['-P', String(cli.pid)], { encoding: 'utf8' })
            .trim()
            .split('\n')
            .map(Number);
          workerPid = children.find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('stack-worker'))!;
          assert.ok(workerPid, `the CLI's stack worker among its children ${children.join(', ')}`);
          pluginsBefore = pulumiProcesses(home);
          process.kill(workerPid, 'SIGKILL'); // the worker alone, not its group
          resolve();
        });
      });
      const code = await closed;
      assert.ok(pluginsBefore.length > 0, 'Pulumi processes were running before the kill');
      assert.equal(code, 1, `exit code 1, not ${code}:\n${stderr}`);
      assert.match(stderr, new RegExp(`the stack worker \\(pid ${workerPid}\\) was killed by SIGKILL`));
      assert.deepEqual(pulumiProcesses(home), [], 'no Pulumi process outlives the worker');

      const killed = await status(spec, branch, home);
      assert.equal(killed.status, 'failed');
      assert.match(killed.lastOperation?.error ?? '', /killed by SIGKILL/);

      const up = await runCli(['up', '--spec', spec, '--branch', branch], home);
      assert.equal(up.code, 0, up.stderr);
      // Killed the moment the database's create began, the state holds that step as pending: it is
      // cleared; and the killed up was the environment's first, so the next one starts over.
      assert.match(up.stderr, /recovering from an interrupted operation/);
      assert.match(up.stderr, /the interrupted first up starts over/);
      const after = await status(spec, branch, home);
      assert.equal(after.status, 'running');
      assert.deepEqual(
        after.services.map((s) => [s.service, s.state]),
        [
          ['web', 'running'],
          ['db', 'running'],
        ],
      );
      assert.equal((await everything(branch)).containers, 2, 'one container per service: no orphan');

      // The recovery exported and re-imported the state: nothing holding a secret outside SLIPWAY_HOME.
      const password = await dbPassword(branch);
      assert.deepEqual(
        filesContaining(tmpdir(), password, home),
        [],
        'no file in the temp folder holds the database password',
      );
      assert.deepEqual(pulumiProcesses(home), []);
    });
  });

  describe('a database container removed by hand', () => {
    const branch = `db-removed-${RUN}`;
    let spec: string;
    before(() => specs.push((spec = writeSpec('removed', HEALTHY_WEB))));
    after(() => forceDown(spec, branch, home));

    it('is reported missing by status, and the environment as degraded', async () => {
      const up = await runCli(['up', '--spec', spec, '--branch', branch], home);
      assert.equal(up.code, 0, up.stderr);
      await docker.getContainer(envNames(PROJECT, branch).container('db')).remove({ force: true });

      const s = await status(spec, branch, home);
      assert.equal(s.status, 'degraded');
      assert.deepEqual(s.missing, ['db']);
      assert.deepEqual(s.services.find((x) => x.service === 'db')?.state, 'missing');
      const text = await runCli(['status', '--spec', spec, '--branch', branch], home);
      assert.match(text.stdout, /degraded/);
      assert.match(text.stdout, /^\s+db\s+missing$/m);
    });
  });

  describe('a first up that fails', () => {
    const cases = [
      {
        label: 'on a Dockerfile whose build fails',
        web: `  web:
    build: ${join(ROOT, 'test', 'fixtures', 'failures', 'build-fails')}
    ports: [8080]
    env:
      DATABASE_URL: \${{ databases.db.url }}
`,
        error: /docker build of .*build-fails failed[\s\S]*broken on purpose/,
        // The images come first: a build that fails starts nothing, not even the database.
        kept: { containers: 0, networks: 0, volumes: 0 },
      },
      {
        label: 'on a health check that never passes',
        web: `  web:
    image: ${BUSYBOX}
    command: "echo waiting forever; exec sleep 3600"
    env:
      DATABASE_URL: \${{ databases.db.url }}
    healthcheck:
      command: ["false"]
      interval: 500ms
      timeout: 3s
`,
        error: /web did not become healthy within 3s[\s\S]*waiting forever/,
        kept: { containers: 1, networks: 1, volumes: 1 },
      },
    ];
    for (const c of cases) {
      for (const keep of [false, true]) {
        const branch = `first-${c.kept.containers}-${keep ? 'kept' : 'removed'}-${RUN}`;
        let spec: string;
        before(() => specs.push((spec = writeSpec('first', c.web))));
        after(() => forceDown(spec, branch, home));

        it(`${c.label} ${keep ? 'keeps what it created with --keep-on-failure' : 'leaves nothing labelled and no stack'}`, async () => {
          const r = await runCli(
            ['up', '--spec', spec, '--branch', branch, ...(keep ? ['--keep-on-failure'] : [])],
            home,
          );
          assert.equal(r.code, 1, r.stderr);
          assert.match(r.stderr, c.error);
          const left = await everything(branch);
          if (!keep) {
            assert.match(r.stderr, /Nothing was left behind/);
            assert.deepEqual(left, { containers: 0, networks: 0, volumes: 0, images: 0 });
            assert.equal(stackFileExists(home, PROJECT, branch), false);
            // Nothing is left: status says the branch has no environment (not-found, exit 1).
            const gone = await runCli(['status', '--spec', spec, '--branch', branch, '--json'], home);
            assert.equal(gone.code, 1, gone.stderr);
            assert.equal((JSON.parse(gone.stdout) as { error: { reason: string } }).error.reason, 'not-found');
          } else {
            assert.deepEqual({ containers: left.containers, networks: left.networks, volumes: left.volumes }, c.kept);
            assert.equal(stackFileExists(home, PROJECT, branch), true);
            const s = await status(spec, branch, home);
            assert.equal(s.status, 'failed');
            assert.match(s.lastOperation?.error ?? '', c.error);
            const down = await runCli(['down', '--spec', spec, '--branch', branch], home);
            assert.equal(down.code, 0, down.stderr);
            assert.deepEqual(await everything(branch), { containers: 0, networks: 0, volumes: 0, images: 0 });
          }
        });
      }
    }
  });

  describe('a later up that fails', () => {
    const branch = `later-${RUN}`;
    let spec: string;
    let context: string;
    const staticService = (timeout: string) => `  static:
    build: ${context}
    ports: [8081]
    healthcheck:
      http: /index.html
      timeout: ${timeout}
`;
    before(() => {
      context = copyFixture(join(ROOT, 'test', 'fixtures', 'two-services', 'static'), 'later-static');
      specs.push((spec = writeSpec('later', staticService('30s'))));
    });
    after(async () => {
      await forceDown(spec, branch, home);
      removeDir(context);
    });

    it('leaves the environment as it was: what ran runs again, and the record says the up failed and what runs', async () => {
      const first = await runCli(['up', '--spec', spec, '--branch', branch], home);
      assert.equal(first.code, 0, first.stderr);
      const before = await status(spec, branch, home);
      assert.equal(await getStatus(`${before.urls.static}/index.html`), 200);

      // A new version that builds but never serves: its container is made, and never gets healthy.
      writeFileSync(
        join(context, 'Dockerfile'),
        'FROM slipway/busybox:local\nCOPY index.html /www/index.html\nCMD ["sleep", "3600"]\n',
      );
      writeFileSync(spec, `version: 1\nname: ${PROJECT}\nservices:\n${staticService('4s')}${DB}`);
      const failed = await runCli(['up', '--spec', spec, '--branch', branch], home);
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /static did not become healthy within 4s/);
      assert.match(failed.stderr, /still running: static, db/);

      const after = await status(spec, branch, home);
      assert.equal(after.urls.static, before.urls.static, 'the same URL');
      assert.equal(
        await getStatus(`${after.urls.static}/index.html`),
        200,
        'the version that ran before answers again',
      );
      assert.equal(after.lastOperation?.status, 'failed');
      assert.match(after.lastOperation?.error ?? '', /did not become healthy[\s\S]*still running: static, db/);
    });
  });

  describe('a container that exits while its health is awaited', () => {
    const branch = `exits-${RUN}`;
    let spec: string;
    before(() =>
      specs.push(
        (spec = writeSpec(
          'exits',
          `  web:
    image: ${BUSYBOX}
    command: 'echo "connecting to $DATABASE_URL"; echo "password: $DB_PASSWORD"; sleep 1.5; kill -9 $$'
    ports: [8080]
    env:
      DATABASE_URL: \${{ databases.db.url }}
      DB_PASSWORD: \${{ databases.db.password }}
    healthcheck:
      http: /healthz
      timeout: 90s
`,
        )),
      ),
    );
    after(() => forceDown(spec, branch, home));

    it('is reported with its exit code, how long it ran and its last log lines, secrets masked', async () => {
      const started = Date.now();
      const r = await runCli(['up', '--spec', spec, '--branch', branch, '--keep-on-failure'], home);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /web exited with code 137 after 1\.\d s/);
      assert.doesNotMatch(r.stderr, /did not become healthy/);
      assert.ok(Date.now() - started < 80_000, 'reported as soon as it exited, not at the 90 s timeout');
      assert.match(r.stderr, /connecting to \*\*\*/);
      assert.match(r.stderr, /password: \*\*\*/);
      const password = await dbPassword(branch);
      assert.ok(!r.stderr.includes(password), 'the password is not in the error');
      const s = await status(spec, branch, home);
      assert.match(s.lastOperation?.error ?? '', /web exited with code 137/);
      assert.ok(!JSON.stringify(s).includes(password), 'nor in the record');
    });
  });
});
