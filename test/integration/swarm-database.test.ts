/**
 * The example shop (web + PostgreSQL + the payments mock) promoted as it is to a Swarm stage: a
 * second dockerd started here (TLS on 127.0.0.1) becomes a one-node Swarm; the database runs as a Swarm service pinned to the node holding its
 * volume, its password a Swarm secret (in no service spec, and in no file under SLIPWAY_HOME), and
 * the web service reaches it through `${{ databases.db.url }}` and the mock through its URL. A
 * second promotion that changes only web keeps the database's task and its data; `down --stage`
 * leaves no service, volume, secret or network on that engine.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stageBranch } from '../../environments/naming';
import { ROOT, RUN, jsonData } from './helpers';
import type { SecondEngine } from './second-engine';
import { clusterPipeline, startSwarmApp, tearDownSwarmApp, type SwarmApp } from './swarm-app';

interface ListedEnv {
  branch: string;
  status: string;
  urls: Record<string, string>;
  services: Array<{ service: string; state: string; health: string }>;
}

interface Task {
  ID: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
}

interface ContainerSpec {
  Env?: string[];
  Mounts?: Array<{ Type?: string; Source?: string; Target?: string }>;
  Healthcheck?: { Test?: string[] };
}
const containerSpec = (s: { Spec?: { TaskTemplate?: unknown } }) =>
  (s.Spec!.TaskTemplate as { ContainerSpec: ContainerSpec }).ContainerSpec;

const SHOP = join(ROOT, 'examples', 'shop');

/** The shop's files (its own spec aside), by path relative to it. */
function shopFiles(dir = SHOP): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.name === 'node_modules' || relative(SHOP, path) === 'slipway.yaml') continue;
    if (entry.isDirectory()) Object.assign(out, shopFiles(path));
    else out[relative(SHOP, path)] = readFileSync(path, 'utf8');
  }
  return out;
}

/** The shop's spec under this run's project name, with the Swarm stage `cluster` as its pipeline. */
function shopSpec(project: string, engine: SecondEngine): string[] {
  const own = readFileSync(join(SHOP, 'slipway.yaml'), 'utf8')
    .split(/^pipeline:/m)[0]
    .trimEnd();
  return [
    ...own.replace(/^name: shop$/m, `name: ${project}`).split('\n'),
    ...clusterPipeline(engine, [
      'replicas: 1',
      'rollout: { strategy: rolling, parallelism: 1, delay: 0s, monitor: 5s }',
    ]),
  ];
}

/** The files under `dir` whose bytes hold `text` (grep's list, empty for none). */
function filesHolding(dir: string, text: string): string {
  try {
    return execFileSync('grep', ['-rlF', text, dir], { encoding: 'utf8' }).trim();
  } catch (err) {
    if ((err as { status?: number }).status === 1) return '';
    throw err;
  }
}

describe('the example shop with its database on a Swarm stage (real one-node Swarm on a second dockerd on 127.0.0.1)', function () {
  this.timeout(25 * 60 * 1000);
  const project = `swarmdb-${RUN}`;
  const branch = 'feature';
  const product = `kept-${RUN}`;
  let fixture: SwarmApp | undefined;
  const cli = (...args: string[]) => fixture!.cli(...args);
  const engine = () => fixture!.engine;
  const stage = async () => {
    const list = jsonData<ListedEnv[]>((await cli('list', '--json')).stdout);
    const found = list.find((e) => e.branch === stageBranch('cluster'));
    assert.ok(found, JSON.stringify(list));
    return found;
  };
  const serviceOf = async (name: string) => {
    const found = (await engine().docker.listServices()).find((s) => s.Spec?.Labels?.['dev.slipway.service'] === name);
    assert.ok(found, `${name} is a Swarm service`);
    return found;
  };
  const runningTask = async (name: string): Promise<Task> => {
    const tasks = (await engine().docker.listTasks({
      filters: { service: [(await serviceOf(name)).Spec!.Name!], 'desired-state': ['running'] },
    })) as Task[];
    assert.equal(tasks.length, 1, JSON.stringify(tasks));
    return tasks[0];
  };
  const request = async (url: string, init?: RequestInit) => {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
    return { status: res.status, text: (await res.text()).trim() };
  };
  const products = async (url: string) => (await request(`${url}/api/products`)).text;
  let password = '';
  let dbTask: Task;

  before(async () => {
    fixture = await startSwarmApp('swarmdb', branch, (e) => shopSpec(project, e), shopFiles());
  });

  after(() => tearDownSwarmApp(fixture, branch, 'cluster'));

  it('runs the database as a Swarm service on the node of its volume, and web answers from it and from the mock', async () => {
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);

    const db = await serviceOf('db');
    const node = ((await engine().docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const task = containerSpec(db);
    assert.equal(db.Spec?.Mode?.Replicated?.Replicas, 1);
    assert.equal(db.Spec?.Labels?.['dev.slipway.role'], 'database');
    assert.deepEqual(db.Spec?.TaskTemplate?.Placement?.Constraints, [`node.id==${node}`]);
    assert.equal(db.Spec?.UpdateConfig?.Order, 'stop-first');
    assert.deepEqual(
      task.Mounts?.map((m) => [m.Type, m.Source, m.Target]),
      [['volume', `slipway-${project}-stage_cluster-db-data`, '/var/lib/postgresql/data']],
    );
    assert.ok(task.Env?.includes('POSTGRES_PASSWORD_FILE=/run/secrets/POSTGRES_PASSWORD'), JSON.stringify(task.Env));
    assert.ok(!task.Env?.some((e) => e.startsWith('POSTGRES_PASSWORD=')), JSON.stringify(task.Env));
    assert.deepEqual(task.Healthcheck?.Test?.slice(0, 2), ['CMD', 'pg_isready']);
    const volume = await engine().docker.getVolume(`slipway-${project}-stage_cluster-db-data`).inspect();
    assert.equal(volume.Labels?.['dev.slipway.service'], 'db');

    // web gets its DATABASE_URL from a Swarm secret, read into its env before the image's command.
    const web = containerSpec(await serviceOf('web'));
    assert.ok(web.Env?.includes('DATABASE_URL_FILE=/run/secrets/DATABASE_URL'), JSON.stringify(web.Env));
    assert.ok(!web.Env?.some((e) => e.startsWith('DATABASE_URL=')), JSON.stringify(web.Env));

    const { urls, status, services } = await stage();
    assert.equal(status, 'running', JSON.stringify(services));
    assert.deepEqual(
      services.map((s) => [s.service, s.health]).sort(),
      [
        ['db', 'healthy'],
        ['mock-payments', 'healthy'],
        ['web', 'healthy'],
      ],
      'list sees the database',
    );
    // /healthz runs SELECT 1 on the database; a product written goes to it.
    assert.deepEqual(await request(`${urls.web}/healthz`), { status: 200, text: '{"status":"ok"}' });
    const written = await request(`${urls.web}/api/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: product, priceCents: 4200 }),
    });
    assert.equal(written.status, 201, written.text);
    assert.match(await products(urls.web), new RegExp(product));
    // The payments mock answers web on the overlay network.
    const charge = await request(`${urls.web}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1200, currency: 'eur' }),
    });
    assert.equal(charge.status, 201, charge.text);

    // The password: in the database task's secret file only.
    dbTask = await runningTask('db');
    const container = dbTask.Status!.ContainerStatus!.ContainerID!;
    password = engine().cli(['exec', container, 'cat', '/run/secrets/POSTGRES_PASSWORD']).trim();
    assert.ok(password.length >= 16, 'the database has a generated password');
    const ids = (await engine().docker.listServices()).map((s) => s.ID!);
    const inspected = engine().cli(['service', 'inspect', ...ids]);
    assert.ok(!inspected.includes(password), 'a service spec holds the database password');
    const webContainer = (await runningTask('web')).Status!.ContainerStatus!.ContainerID!;
    assert.ok(!engine().cli(['inspect', webContainer, container]).includes(password), 'a container spec holds it');
    assert.equal(filesHolding(fixture!.home, password), '', 'a file under SLIPWAY_HOME holds the password');

    const status1 = await cli('status', '--stage', 'cluster', '--json');
    assert.equal(status1.code, 0, status1.stderr);
    assert.match(status1.stdout, /"db"/);
    const drift = await cli('drift', '--stage', 'cluster');
    assert.equal(drift.code, 0, drift.stdout + drift.stderr);
  });

  it('keeps the database task and its data when a promotion changes only web', async () => {
    const webBefore = await runningTask('web');
    const specText = readFileSync(fixture!.specFile, 'utf8');
    writeFileSync(fixture!.specFile, specText.replace('GREETING: Hello from Slipway', 'GREETING: Hello again'));
    fixture!.git('commit', '-q', '-am', 'web greets again');
    const up = await cli('up', '--branch', branch);
    assert.equal(up.code, 0, up.stderr);
    const promoted = await cli('promote', '--from', branch, '--to', 'cluster', '--as', 'dev@corp.test');
    assert.equal(promoted.code, 0, promoted.stderr + promoted.stdout);

    const { urls } = await stage();
    assert.match((await request(`${urls.web}/`)).text, /Hello again/);
    assert.notEqual((await runningTask('web')).ID, webBefore.ID, 'web was updated');
    const after = await runningTask('db');
    assert.equal(after.ID, dbTask.ID, 'the database task is the same');
    assert.equal(after.Status?.ContainerStatus?.ContainerID, dbTask.Status?.ContainerStatus?.ContainerID);
    assert.match(await products(urls.web), new RegExp(product), 'the data written before is there');
    const inspected = engine().cli(['service', 'inspect', ...(await engine().docker.listServices()).map((s) => s.ID!)]);
    assert.ok(!inspected.includes(password));
    assert.equal(filesHolding(fixture!.home, password), '');
  });

  it('down --stage leaves no service, volume, secret or network of the stage on the engine', async () => {
    const down = await cli('down', '--stage', 'cluster');
    assert.equal(down.code, 0, down.stderr);
    const docker = engine().docker;
    assert.deepEqual(
      (await docker.listServices()).map((s) => s.Spec?.Name),
      [],
    );
    assert.deepEqual(
      ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name),
      [],
    );
    assert.deepEqual(
      ((await docker.listSecrets()) as Array<{ Spec?: { Name?: string } }>).map((s) => s.Spec?.Name),
      [],
    );
    const networks = (await docker.listNetworks()).map((n) => n.Name);
    assert.ok(!networks.includes(`slipway-${project}-stage_cluster`), networks.join(', '));
    assert.deepEqual(await docker.listContainers({ all: true }), []);
  });
});
