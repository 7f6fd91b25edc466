/** Status and health of environments: one from its record and Docker, all of them, and the HTTP health probe; no Pulumi run. */
import { get as httpGet } from 'node:http';
import type Docker from 'dockerode';
import { DamagedFileError } from '../errors';
import { lockOwner } from '../lock';
import { envNames, projectSlug } from '../naming';
import {
  RECORD_REMEDY,
  inspectRecord,
  listRecords,
  lockPath,
  rebuildRecord,
  recordRel,
  type EnvRecord,
} from '../records';
import {
  connectDocker,
  environmentContainers,
  environmentLabels,
  isUp,
  type EnvSelector,
  type ServiceState,
} from '../docker/engine';
import { mockUrls } from '../spec/mocks';
import { describeDockerHost } from '../docker/engine';
import { describeEndpoint } from '../docker/default-endpoint';
import { isLocalEngine, urlHost } from '../docker/remote';
import { databaseHealth } from '../docker/database-health';
import { runHealthCommand } from '../docker/provider/health-command';
import { probeInsideEngine } from './remote-health';
import type { EngineContext } from './context';
import { readSeedRecord, type DatabaseSeed } from '../data/seed-record';
import { envKey, liveByEnvironment } from './live';
import type { EnvironmentState, EnvironmentStatus, StatusOptions } from './types';
import { stateStore } from '../state/store';

/**
 * `dockerHost`: the endpoint the environment runs on (a stage's own); default the one its record names, else the engine's.
 * `health: false`: no HTTP health probe (a caller that only asks whether the environment exists); those services then
 * read health `none`.
 */
export async function status(
  ctx: EngineContext,
  project: string,
  branch: string,
  dockerHost?: string,
  opts: StatusOptions = {},
): Promise<EnvironmentStatus> {
  const names = envNames(project, branch);
  const read = inspectRecord(ctx.home, names.project, names.env);
  const host = dockerHost ?? read.record?.dockerHost;
  const sel = { project: names.project, env: names.env, state: ctx.stateId };
  const { docker, result: services } = await readWhileReachable(ctx, host, (d) => environmentContainers(d, sel));
  // Containers with no record at all: it was deleted, and is rebuilt like a damaged one.
  const damaged =
    read.damaged ??
    (!read.record && services.length > 0 ? missingRecord(ctx.home, names.project, names.env) : undefined);
  const record = damaged ? await rebuiltRecord(ctx, docker, sel, branch) : read.record;
  const endpoint = host ?? ctx.dockerHost;
  const described = describe(
    ctx,
    names.project,
    names.env,
    branch,
    record,
    opts.health === false ? services : await probeHttpHealth(record, services, endpoint, docker),
    damaged,
    endpoint,
  );
  const seeds = seedsOf(ctx.home, names.project, names.env);
  return seeds ? { ...described, seeds } : described;
}

/** How each seeded database started (a damaged seed record shows none: `data seed` rewrites it). */
function seedsOf(home: string, project: string, env: string): EnvironmentStatus['seeds'] {
  let databases: Record<string, DatabaseSeed>;
  try {
    databases = readSeedRecord(home, project, env)?.databases ?? {};
  } catch {
    return undefined;
  }
  const seeded = Object.entries(databases);
  if (seeded.length === 0) return undefined;
  return Object.fromEntries(
    seeded.map(([db, s]) => [
      db,
      { ...(s.snapshot ? { snapshot: s.snapshot } : {}), ...(s.clone ? { clone: s.clone } : {}) },
    ]),
  );
}

/**
 * A read-only `call` on an endpoint's client made while the endpoint is pinged (`ctx.reachable`),
 * not after: one round trip less. An endpoint that does not answer fails as `reachable` says (the
 * ping's error wins); otherwise the call's own result or error. `docker`: the pinged client. On
 * a remote engine (SSH, TCP) the ping comes first, as each connection there costs more.
 */
async function readWhileReachable<T>(
  ctx: EngineContext,
  dockerHost: string | undefined,
  call: (docker: Docker) => Promise<T>,
): Promise<{ docker: Docker; result: T }> {
  if (!isLocalEngine(dockerHost ?? ctx.dockerHost)) {
    const docker = await ctx.reachable(dockerHost);
    return { docker, result: await call(docker) };
  }
  const client = dockerHost === undefined ? ctx.docker : connectDocker(dockerHost);
  const [ping, result] = await Promise.allSettled([ctx.reachable(dockerHost), call(client)]);
  if (ping.status === 'rejected') throw ping.reason;
  if (result.status === 'rejected') throw result.reason;
  return { docker: ping.value, result: result.value };
}

/** The record of an environment whose own is damaged or missing, rebuilt from its Docker labels. */
async function rebuiltRecord(
  ctx: EngineContext,
  docker: Docker,
  sel: EnvSelector,
  branch?: string,
): Promise<EnvRecord> {
  const labels = await environmentLabels(docker, sel);
  return rebuildRecord({
    services: [],
    databases: [],
    ...labels,
    project: sel.project,
    env: sel.env,
    branch: labels?.branch ?? branch,
  });
}

export { isLocalEngine } from '../docker/remote';

/**
 * A service whose health check is an HTTP GET (not a Docker HEALTHCHECK) has Docker health
 * `none`: it is probed once (1 s timeout), so it reads healthy or unhealthy like the others. On
 * this machine's engine through its published port; on another engine from inside it, by a probe
 * container on the environment's network (given `docker`, that engine's client).
 */
export async function probeHttpHealth(
  record: EnvRecord | undefined,
  all: ServiceState[],
  dockerHost: string,
  docker?: Docker,
): Promise<ServiceState[]> {
  const services = docker ? await Promise.all(all.map((s) => checkStarting(record, s, docker))) : all;
  if (!isLocalEngine(dockerHost)) return docker && record ? probeInsideEngine(docker, record, services) : services;
  const specs = record?.ran?.services ?? [];
  return Promise.all(
    services.map(async (s): Promise<ServiceState> => {
      const check = specs.find((x) => x.name === s.service)?.healthcheck?.http;
      const port = check ? s.ports[String(check.port)] : undefined;
      if (!check || !port || s.state !== 'running' || s.health !== 'none') return s;
      const ok = await answersOk(`http://127.0.0.1:${port}${check.path}`, 1000);
      return { ...s, health: ok ? 'healthy' : 'unhealthy' };
    }),
  );
}

/**
 * A container whose health check is a command reads `starting` until Docker first runs it, which
 * an engine older than API 1.44 does only one interval (30 s) after a start: it is checked here by
 * running the command once, as Docker would.
 */
async function checkStarting(record: EnvRecord | undefined, s: ServiceState, docker: Docker): Promise<ServiceState> {
  if (s.state !== 'running' || s.health !== 'starting' || !s.containerId) return s;
  const db = record?.ran?.databases?.find((d) => d.name === s.service);
  const command = db
    ? databaseHealth(db).command
    : record?.ran?.services?.find((x) => x.name === s.service)?.healthcheck?.command;
  if (!command) return s;
  const code = await runHealthCommand(docker.getContainer(s.containerId), command, 2000);
  return code === 0 ? { ...s, health: 'healthy' } : s;
}

/**
 * Whether a GET of `url` answers 2xx within `timeoutMs`. Plain node:http on its own connection
 * (no keep-alive): `fetch` would load undici and compile its WebAssembly HTTP parser, whose
 * background compilation holds the process ~0.1 s after the answer is printed. A port whose
 * container is restarting can take the connection and never answer: the timer ends the probe.
 */
function answersOk(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      req.destroy();
      resolve(res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.on('close', () => resolve(false));
  });
}

export async function list(ctx: EngineContext, project?: string): Promise<EnvironmentStatus[]> {
  const slug = project ? projectSlug(project) : undefined;
  const { records, damaged } = listRecords(ctx.home, slug);
  // One Docker listing for all of them: the time grows with the containers, not with calls per environment.
  const { docker: local, result: live } = await readWhileReachable(ctx, undefined, (d) =>
    liveByEnvironment(d, ctx.stateId, slug),
  );
  // An environment on another endpoint (a stage's engine) is looked at there, each engine once.
  const engines = new Map<string, Promise<Docker>>();
  const engineOf = (host: string) => {
    if (!engines.has(host)) engines.set(host, ctx.reachable(host));
    return engines.get(host)!;
  };
  const describeLive = async (r: EnvRecord, error?: DamagedFileError): Promise<EnvironmentStatus> => {
    if (r.dockerHost === undefined || r.dockerHost === ctx.dockerHost) {
      const services = live.get(envKey(r.project, r.env)) ?? [];
      return describe(
        ctx,
        r.project,
        r.env,
        r.branch,
        r,
        await probeHttpHealth(r, services, ctx.dockerHost, local),
        error,
      );
    }
    const endpoint = r.dockerHost;
    let docker: Docker;
    try {
      docker = await engineOf(endpoint);
    } catch (err) {
      // An engine that does not answer leaves its environments listed, saying so.
      const known = describe(ctx, r.project, r.env, r.branch, r, [], error, endpoint);
      return { ...known, status: 'degraded', services: [], missing: undefined, unreachable: (err as Error).message };
    }
    const services = await environmentContainers(docker, { project: r.project, env: r.env, state: ctx.stateId });
    const probed = await probeHttpHealth(r, services, endpoint, docker);
    return describe(ctx, r.project, r.env, r.branch, r, probed, error, endpoint);
  };
  // A damaged record is listed too, rebuilt from its Docker labels, never left out; so is an
  // environment whose containers run with no record at all (it was deleted).
  const known = new Set([...records, ...damaged].map((r) => envKey(r.project, r.env)));
  const unrecorded = [...live.keys()].filter((k) => !known.has(k)).map((k) => k.split('/') as [string, string]);
  const out = await Promise.all([
    ...records.map((r) => describeLive(r)),
    ...damaged.map(async (d) =>
      describeLive(
        await rebuiltRecord(ctx, ctx.docker, { project: d.project, env: d.env, state: ctx.stateId }),
        d.error,
      ),
    ),
    ...unrecorded.map(async ([p, env]) =>
      describeLive(
        await rebuiltRecord(ctx, ctx.docker, { project: p, env, state: ctx.stateId }),
        missingRecord(ctx.home, p, env),
      ),
    ),
  ]);
  return out.sort((a, b) => a.project.localeCompare(b.project) || a.branch.localeCompare(b.branch));
}

/**
 * Every declared service and database is named, also one whose container is gone from Docker
 * (state `missing`, removed outside Slipway); the environment is then `degraded`, not `stopped`.
 */
function describe(
  ctx: EngineContext,
  project: string,
  env: string,
  branch: string,
  record: EnvRecord | undefined,
  live: ServiceState[],
  damaged?: DamagedFileError,
  endpoint = ctx.dockerHost,
): EnvironmentStatus {
  const expected = record ? [...record.services, ...record.databases] : [];
  const missing = expected.filter((name) => !live.some((s) => s.service === name));
  const order = (name: string) => (expected.includes(name) ? expected.indexOf(name) : expected.length);
  const services = [
    ...live,
    ...missing.map((service): ServiceState => ({
      service,
      containerId: '',
      state: 'missing',
      health: 'none',
      image: '',
      ports: {},
    })),
  ].sort((a, b) => order(a.service) - order(b.service) || a.service.localeCompare(b.service));
  // Provisioning only while the operation the record says is running has a live owner (pid and
  // start time) of the lock: a dead owner's operation was interrupted; a lock held by a check
  // (drift) over a finished operation changes nothing.
  const busy = lockOwner(lockPath(ctx.home, project, env)) !== undefined;
  let status: EnvironmentState;
  if (!record && live.length === 0) status = 'absent';
  else if (busy && (damaged || record?.lastOperation.status === 'running')) status = 'provisioning';
  else if (damaged && live.length === 0) status = 'absent';
  else if (record?.lastOperation.status === 'running' && !damaged) status = 'failed';
  else if (record?.lastOperation.status === 'failed' || record?.lastOperation.status === 'cancelled') status = 'failed';
  else {
    const up = live.filter((s) => isUp(s) && s.health !== 'unhealthy');
    if (missing.length > 0) status = 'degraded';
    else if (up.length === 0) status = 'stopped';
    else if (up.length < live.length) status = 'degraded';
    else status = 'running';
  }
  const urls: Record<string, string> = {};
  for (const name of record?.services ?? []) {
    const live = services.find((s) => s.service === name);
    const port = live ? Object.values(live.ports)[0] : undefined;
    if (port) urls[name] = `http://${urlHost(endpoint)}:${port}`;
    else if (record?.urls[name]) urls[name] = record.urls[name];
  }
  return {
    project,
    env,
    branch,
    stack: env,
    status,
    urls,
    ...mockUrls(urls, record?.ran?.mocks),
    services,
    ...(missing.length ? { missing } : {}),
    // A rebuilt record knows nothing of the last operation.
    lastOperation: damaged ? undefined : record?.lastOperation,
    createdAt: record?.createdAt,
    updatedAt: record?.updatedAt,
    owner: record?.owner,
    specFile: record?.specFile,
    ...(endpoint && !isLocalEngine(endpoint) ? { dockerHost: describeDockerHost(endpoint) } : {}),
    engine:
      endpoint === ctx.dockerHost
        ? describeEndpoint(ctx.endpoint)
        : `${describeDockerHost(endpoint)} (named by the stage, or by the environment's record: the engine it came up on)`,
    commit: record?.applied?.commit,
    ttl: record?.ttl,
    ...(damaged
      ? { damaged: { file: damaged.file, line: damaged.line, problem: damaged.problem, hint: damaged.hint ?? '' } }
      : {}),
  };
}

/** The damage of a record that is missing while its environment's containers run. */
function missingRecord(home: string, project: string, env: string): DamagedFileError {
  return new DamagedFileError(
    stateStore(home).where(recordRel(project, env)),
    1,
    'is missing, while the environment has containers',
    RECORD_REMEDY,
  );
}
