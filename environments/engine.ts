/**
 * The environment engine: the one API the CLI, CI jobs and the VS Code extension call.
 *
 * `up` and `down` run in a stack worker process of their own (see pulumi/worker.ts) and
 * stream progress events back; `status` and `list` answer from Docker and Slipway's records
 * without a Pulumi run, so they are fast enough for a status bar.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { DamagedFileError, SlipwayError } from './errors';
import { ensureDir } from './files';
import type { OperationOptions } from './events';
import { currentActor, currentCommit } from './git';
import type { DriftItem, DriftReport } from './pipeline/drift';
import { resourceKindOf } from './kinds';
import { lockOwner } from './lock';
import { clearKilledWorkerLocks } from './pulumi/leftovers';
import { silentLogger, type Logger } from './log';
import { LABEL_ENV, envNames, projectSlug, stateId } from './naming';
import { defaultBackendUrl, secretsPassphrase, slipwayHome } from './paths';
import { WORKER_MARK, endWorkerProcesses } from './processes';
import { restoreAfterFailedUp } from './restore';
import { RECORD_REMEDY, inspectRecord, listRecords, lockPath, rebuildRecord, recordPath, writeRecord, type EnvRecord } from './records';
import { assertDockerReachable, connectDocker, environmentContainers, environmentLabels, labelledEnvironments, type EnvSelector, type ServiceState } from './docker/engine';
import { demuxDockerLog, demuxFrames, lineSplitter } from './docker/logs';
import { programFingerprint, type ResourceRef } from './pulumi/fingerprint';
import { findPulumiRoot } from './pulumi/locate';
import type { DownResult, UpResult, WorkerMessage, WorkerRequest, WorkerResult, WorkerSettings } from './pulumi/protocol';
import type { Spec } from './spec/types';

export type { DownResult, UpResult } from './pulumi/protocol';
export { findPulumiRoot } from './pulumi/locate';

export interface EngineOptions {
  /** Slipway's state folder; default `SLIPWAY_HOME` or `~/.slipway`. */
  home?: string;
  /** Any Pulumi backend URL; default the file backend under `<home>/state`. */
  backendUrl?: string;
  /** Docker endpoint (`unix:///...`, `tcp://...`); default `DOCKER_HOST` or the local socket. */
  dockerHost?: string;
  logger?: Logger;
  /** How long an operation waits for another one on the same environment; default 10 minutes. */
  lockTimeoutMs?: number;
}

export type EnvironmentState = 'absent' | 'provisioning' | 'running' | 'degraded' | 'stopped' | 'failed';

export interface EnvironmentStatus {
  project: string;
  env: string;
  branch: string;
  stack: string;
  status: EnvironmentState;
  urls: Record<string, string>;
  /** Every declared service and database (state `missing` when its container is gone), and any other container of the environment. */
  services: ServiceState[];
  /** Declared services and databases that have no container in Docker (removed outside Slipway; `up` recreates them). */
  missing?: string[];
  lastOperation?: EnvRecord['lastOperation'];
  createdAt?: string;
  updatedAt?: string;
  owner?: string;
  /** The spec file the environment was last brought up from. */
  specFile?: string;
  /** The git commit its last successful up ran. */
  commit?: string;
  /**
   * Set when its record is damaged (or missing while its containers run): what is shown was
   * rebuilt from its Docker labels, and `up` rebuilds the record.
   */
  damaged?: { file: string; line: number; problem: string; hint: string };
}

export interface ServiceUsage {
  service: string;
  /** Cores in use (0.5 = half a core). */
  cpu: number;
  cpuLimit?: number;
  /** Bytes in use, page cache excluded. */
  memory: number;
  memoryLimit?: number;
}

export interface LogOptions {
  /** Lines from the end to start with; default 100. */
  tail?: number;
  /** Keep following new lines until the signal aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  onLine: (line: string) => void;
}

export interface UpOptions extends OperationOptions {
  /** Resources to recreate even if nothing about them changed (by Pulumi resource name). */
  replace?: Array<{ kind: 'container' | 'network' | 'volume'; name: string }>;
  /** Apply the spec to these resources only, and what depends on them (a targeted update); default all. */
  only?: ResourceRef[];
  /** Docker endpoint for this environment (a stage's own host); default the engine's. */
  dockerHost?: string;
  /**
   * A first `up` (the environment never came up) that fails removes everything it created, and
   * its stack; with this, it is kept to look at. A later `up` that fails always leaves what runs.
   */
  keepOnFailure?: boolean;
}

export interface Environments {
  /** Creates or updates the branch's environment to match the spec; waits for health checks. */
  up(spec: Spec, branch: string, opts?: OperationOptions): Promise<UpResult>;
  /** Removes everything the branch's environment has, and its stack. */
  down(project: string, branch: string, opts?: OperationOptions): Promise<DownResult>;
  status(project: string, branch: string): Promise<EnvironmentStatus>;
  /** Every environment Slipway knows, of one project or all. */
  list(project?: string): Promise<EnvironmentStatus[]>;
}

function packageRoot(): string {
  // dist/slipway.js and environments/engine.ts both sit one level below the package root.
  return join(__dirname, '..');
}

/** Where the stack worker runs from, and where the dynamic-provider host finds its npm packages. */
export interface WorkerRuntime {
  /** The worker's entry file (environments/pulumi/entry.ts, built). */
  worker: string;
  /** NODE_PATH for the worker and the provider host. */
  nodePath: string;
}

/**
 * Two layouts: the editor's bundle (`stack-worker.js` next to this file, with everything but
 * dockerode inside it, and dockerode bundled under `runtime/node_modules/`), and the npm package
 * (`dist/stack-worker.js` with its packages in node_modules).
 */
export function findRuntime(): WorkerRuntime {
  const bundled = join(__dirname, 'runtime', 'node_modules');
  if (existsSync(join(__dirname, 'stack-worker.js')) && existsSync(bundled)) return { worker: join(__dirname, 'stack-worker.js'), nodePath: bundled };
  const candidates = [process.env.SLIPWAY_WORKER, join(__dirname, 'stack-worker.js'), join(packageRoot(), 'dist', 'stack-worker.js')];
  const worker = candidates.find((c): c is string => !!c && existsSync(c));
  if (!worker) {
    throw new SlipwayError('operation-failed', 'The Slipway stack worker (dist/stack-worker.js) is missing.', { hint: 'Run `npm run build`.' });
  }
  // .../node_modules/@pulumi/pulumi/package.json -> .../node_modules
  return { worker, nodePath: dirname(dirname(dirname(require.resolve('@pulumi/pulumi/package.json')))) };
}

export class LocalEnvironments implements Environments {
  /** This state's owner id on the Docker Engine (label dev.slipway.state). */
  readonly stateId: string;
  private workerRuntime?: WorkerRuntime;

  private constructor(
    readonly home: string,
    readonly backendUrl: string,
    readonly dockerHost: string,
    private readonly docker: Docker,
    private readonly logger: Logger,
    private readonly lockTimeoutMs: number,
  ) {
    this.stateId = stateId(backendUrl);
  }

  static async create(options: EngineOptions = {}): Promise<LocalEnvironments> {
    const home = slipwayHome(options.home);
    ensureDir(home);
    const dockerHost = options.dockerHost ?? process.env.DOCKER_HOST ?? '';
    const docker = connectDocker(dockerHost);
    return new LocalEnvironments(
      home,
      options.backendUrl ?? process.env.SLIPWAY_BACKEND_URL ?? defaultBackendUrl(home),
      dockerHost,
      docker,
      options.logger ?? silentLogger,
      options.lockTimeoutMs ?? 10 * 60 * 1000,
    );
  }

  async up(spec: Spec, branch: string, opts: UpOptions = {}): Promise<UpResult> {
    await this.reachable(opts.dockerHost);
    const [commit, owner] = await Promise.all([currentCommit(spec.dir), currentActor(spec.dir)]);
    const unchanged = opts.replace?.length || opts.only?.length || opts.dockerHost !== undefined ? undefined : await this.unchangedSinceLastUp(spec, branch, commit);
    if (unchanged) {
      opts.onEvent?.({ type: 'step', message: 'nothing changed since the last up, and every container is running' });
      return unchanged;
    }
    const names = envNames(spec.name, branch, this.stateId);
    const prior = inspectRecord(this.home, names.project, names.env).record;
    try {
      return (await this.runWorker({ op: 'up', spec, branch, settings: this.settings(opts.dockerHost), replace: opts.replace, only: opts.only, keepOnFailure: opts.keepOnFailure, commit, owner }, opts)) as UpResult;
    } catch (err) {
      // A later up that failed leaves the environment as it was: what it took down runs again.
      if (!SlipwayError.is(err, 'operation-failed') || !prior?.applied || opts.only?.length || opts.signal?.aborted) throw err;
      const failed = inspectRecord(this.home, names.project, names.env).record?.lastOperation.error ?? err.message;
      const ctx = {
        docker: await this.reachable(opts.dockerHost),
        home: this.home,
        stateId: this.stateId,
        onEvent: opts.onEvent,
        up: (pinned: Spec) => this.runWorker({ op: 'up', spec: pinned, branch, settings: this.settings(opts.dockerHost), commit: prior.applied?.commit, owner }, opts),
      };
      const after = await restoreAfterFailedUp(ctx, spec, branch, prior, failed).catch(() => undefined);
      if (!after) throw err;
      throw new SlipwayError('operation-failed', `${err.message}\n${after.runs}`, {
        hint: after.restored.length ? 'Fix the cause and run `slipway up` again; meanwhile the environment runs as it did before.' : err.hint,
        cause: err,
      });
    }
  }

  /** The Docker client of an endpoint (the engine's own by default), once it answers. */
  private async reachable(dockerHost?: string): Promise<Docker> {
    const docker = dockerHost === undefined ? this.docker : connectDocker(dockerHost);
    await assertDockerReachable(docker, dockerHost ?? this.dockerHost);
    return docker;
  }

  /** What differs between the spec, Pulumi's state and the real Docker objects. */
  async drift(spec: Spec, branch: string, opts: OperationOptions & { dockerHost?: string; stopGraceMs?: number } = {}): Promise<DriftReport> {
    await this.reachable(opts.dockerHost);
    return (await this.runWorker({ op: 'drift', spec, branch, settings: this.settings(opts.dockerHost) }, opts)) as DriftReport;
  }

  /**
   * Drift, checked again every `intervalMs` and soon after any Docker event on the
   * environment's containers (stopped, removed, recreated), until the signal aborts.
   */
  async *watchDrift(spec: Spec, branch: string, opts: OperationOptions & { dockerHost?: string; intervalMs: number }): AsyncGenerator<DriftReport> {
    const names = envNames(spec.name, branch, this.stateId);
    const docker = connectDocker(opts.dockerHost ?? this.dockerHost);
    const events = (await docker.getEvents({ filters: { type: ['container'], label: [`${LABEL_ENV}=${names.env}`] } })) as NodeJS.ReadableStream & { destroy?(): void };
    let nudged: boolean;
    let wake: (() => void) | undefined;
    events.on('data', () => {
      nudged = true;
      wake?.();
    });
    // A broken event stream leaves the interval checks; it never stops the watch.
    events.on('error', (err: Error) => this.logger.warn(`Docker events stream: ${err.message}; checking every ${opts.intervalMs / 1000}s only`));
    try {
      while (!opts.signal?.aborted) {
        nudged = false;
        yield await this.drift(spec, branch, opts);
        if (nudged) continue;
        await new Promise<void>((resolve) => {
          const finish = () => {
            opts.signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(finish, opts.intervalMs);
          const done = () => {
            clearTimeout(timer);
            // Let a burst of events (stop, die, destroy) settle before checking.
            setTimeout(finish, 500);
          };
          wake = done;
          opts.signal?.addEventListener('abort', done, { once: true });
        });
        wake = undefined;
      }
    } finally {
      events.destroy?.();
    }
  }

  /**
   * Remedy `accept`: takes reality into the state (a refresh), of every resource or of the
   * `resources` given; returns the drift that remains.
   */
  async acceptDrift(
    spec: Spec,
    branch: string,
    opts: OperationOptions & { dockerHost?: string; resources?: ResourceRef[] } = {},
  ): Promise<DriftReport> {
    await this.reachable(opts.dockerHost);
    return (await this.runWorker({ op: 'refresh', spec, branch, settings: this.settings(opts.dockerHost), resources: opts.resources }, opts)) as DriftReport;
  }

  /**
   * Remedy `reapply`: makes reality match the spec, recreating every drifted container. With
   * `resources`, only those: what runs differently is recreated, and a spec difference is
   * applied to that resource and what depends on it (a targeted update), nothing else.
   */
  async reapply(spec: Spec, branch: string, opts: OperationOptions & { dockerHost?: string; resources?: ResourceRef[] } = {}): Promise<DriftReport> {
    const before = await this.drift(spec, branch, opts);
    const chosen = (i: DriftItem) => !opts.resources || opts.resources.some((r) => r.kind === resourceKind(i.kind) && r.name === i.resource);
    const items = before.items.filter((i) => chosen(i) && i.remedies.includes('reapply'));
    const drifted = new Map<string, { kind: 'container' | 'network' | 'volume'; name: string }>();
    for (const i of items) {
      if (i.source === 'reality' && (i.kind === 'container' || i.kind === 'network' || i.kind === 'volume')) drifted.set(i.resource, { kind: i.kind, name: i.resource });
    }
    // A network or volume made again takes every container with it.
    if ([...drifted.values()].some((r) => r.kind !== 'container')) {
      for (const name of [...spec.services.map((s) => s.name), ...spec.databases.map((d) => d.name)]) drifted.set(name, { kind: 'container', name });
    }
    const replace = [...drifted.values()];
    if (opts.resources && items.length === 0) {
      // Fixed in the meantime (a view a check behind): nothing to apply, the fresh report says so.
      const names = [...new Set(opts.resources.map((r) => r.name))];
      opts.onEvent?.({ type: 'step', message: `nothing to reapply${names.length ? ` for ${names.join(', ')}` : ''}: it no longer drifts` });
    }
    // A resource the spec adds needs what it depends on (its image, volume, password) made too:
    // that is a whole up. Otherwise a targeted update of the chosen resources and their dependents.
    const adds = items.some((i) => i.source === 'spec' && i.property === 'existence' && i.actual === 'missing');
    const only = opts.resources && !adds ? [...new Map(items.map((i) => [`${i.kind}:${i.resource}`, { kind: resourceKind(i.kind), name: i.resource }])).values()] : undefined;
    if (adds && opts.resources) opts.onEvent?.({ type: 'step', message: 'a resource the spec adds needs the ones it depends on: applying the whole spec' });
    if (items.length > 0) await this.up(spec, branch, { ...opts, replace, only });
    return this.drift(spec, branch, opts);
  }

  async down(project: string, branch: string, opts: OperationOptions & { dockerHost?: string } = {}): Promise<DownResult> {
    await this.reachable(opts.dockerHost);
    return (await this.runWorker({ op: 'down', project, branch, settings: this.settings(opts.dockerHost) }, opts)) as DownResult;
  }

  /** `dockerHost`: the endpoint the environment runs on (a stage's own); default the engine's. */
  async status(project: string, branch: string, dockerHost?: string): Promise<EnvironmentStatus> {
    const names = envNames(project, branch);
    const docker = await this.reachable(dockerHost);
    const sel = { project: names.project, env: names.env, state: this.stateId };
    const read = inspectRecord(this.home, names.project, names.env);
    const services = await environmentContainers(docker, sel);
    // Containers with no record at all: it was deleted, and is rebuilt like a damaged one.
    const damaged = read.damaged ?? (!read.record && services.length > 0 ? missingRecord(this.home, names.project, names.env) : undefined);
    const record = damaged ? await this.rebuiltRecord(docker, sel, branch) : read.record;
    return this.describe(names.project, names.env, branch, record, await this.probeHttpHealth(record, services, dockerHost ?? this.dockerHost), damaged);
  }

  /** The record of an environment whose own is damaged or missing, rebuilt from its Docker labels. */
  private async rebuiltRecord(docker: Docker, sel: EnvSelector, branch?: string): Promise<EnvRecord> {
    const labels = await environmentLabels(docker, sel);
    return rebuildRecord({ services: [], databases: [], ...labels, project: sel.project, env: sel.env, branch: labels?.branch ?? branch });
  }

  /** Whether an engine publishes its ports on this machine's 127.0.0.1 (a local socket). */
  private isLocalEngine(dockerHost: string): boolean {
    return !dockerHost || dockerHost.startsWith('unix://');
  }

  /**
   * A service whose health check is an HTTP GET (probed from this machine, not a Docker
   * HEALTHCHECK) has Docker health `none`: on a local engine, its published port is probed once
   * (1 s timeout), so it reads healthy or unhealthy like the others.
   */
  private async probeHttpHealth(record: EnvRecord | undefined, services: ServiceState[], dockerHost: string): Promise<ServiceState[]> {
    if (!this.isLocalEngine(dockerHost)) return services;
    const specs = record?.ran?.services ?? [];
    return Promise.all(
      services.map(async (s): Promise<ServiceState> => {
        const check = specs.find((x) => x.name === s.service)?.healthcheck?.http;
        const port = check ? s.ports[String(check.port)] : undefined;
        if (!check || !port || s.state !== 'running' || s.health !== 'none') return s;
        // A port whose container is restarting can take the connection and never answer: this
        // 1 s timer ends the probe, and keeps the process alive while it waits.
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), 1000);
        try {
          const res = await fetch(`http://127.0.0.1:${port}${check.path}`, { signal: abort.signal });
          await res.body?.cancel();
          return { ...s, health: res.ok ? 'healthy' : 'unhealthy' };
        } catch {
          return { ...s, health: 'unhealthy' };
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }

  /**
   * The environment's secret values as its containers hold them: each database's generated
   * password, and every env value that contains one (a database URL). Read from Docker (no Pulumi
   * run), for scrubbing what gates and logs show; never stored.
   */
  async environmentSecrets(project: string, branch: string, dockerHost?: string): Promise<string[]> {
    const names = envNames(project, branch);
    const record = inspectRecord(this.home, names.project, names.env).record;
    const docker = dockerHost === undefined ? this.docker : connectDocker(dockerHost);
    const live = await environmentContainers(docker, { project: names.project, env: names.env, state: this.stateId }).catch(() => []);
    const envs = await Promise.all(live.map(async (s) => ({ service: s.service, env: (await docker.getContainer(s.containerId).inspect().catch(() => undefined))?.Config.Env ?? [] })));
    const value = (entry: string) => entry.slice(entry.indexOf('=') + 1);
    const passwords = envs
      .filter((c) => record?.databases.includes(c.service))
      .flatMap((c) => c.env.filter((e) => e.startsWith('POSTGRES_PASSWORD=')).map(value))
      .filter((v) => v.length >= 4);
    const holding = envs.flatMap((c) => c.env.map(value)).filter((v) => passwords.some((p) => v !== p && v.includes(p)));
    return [...new Set([...passwords, ...holding])].sort((a, b) => b.length - a.length);
  }

  /** A service's container logs (stdout and stderr), line by line; with `follow`, until the signal aborts. */
  async logs(project: string, branch: string, service: string, opts: LogOptions): Promise<void> {
    const container = await this.serviceContainer(project, branch, service);
    const stream = (await container.logs({ follow: opts.follow ?? false, stdout: true, stderr: true, tail: opts.tail ?? 100 } as never)) as unknown as NodeJS.ReadableStream | Buffer;
    const split = lineSplitter(opts.onLine);
    if (Buffer.isBuffer(stream)) {
      split(demuxDockerLog(stream));
      split(undefined);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const stop = () => {
        (stream as NodeJS.ReadableStream & { destroy?(): void }).destroy?.();
        resolve();
      };
      if (opts.signal?.aborted) return stop();
      opts.signal?.addEventListener('abort', stop, { once: true });
      stream.on('close', () => opts.signal?.removeEventListener('abort', stop));
      let pending: Buffer = Buffer.alloc(0);
      stream.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        const { text, rest } = demuxFrames(pending);
        pending = rest;
        split(text);
      });
      stream.on('end', () => {
        split(undefined);
        resolve();
      });
      stream.on('error', (err: Error) => (opts.signal?.aborted ? resolve() : reject(err)));
    });
  }

  /**
   * CPU and memory each service's container uses now, against its limits (one Docker stats
   * sample per container). CPU in cores; memory in bytes; a limit is absent when there is none.
   */
  async usage(project: string, branch: string): Promise<ServiceUsage[]> {
    const names = envNames(project, branch);
    const docker = await this.reachable();
    const services = await environmentContainers(docker, { project: names.project, env: names.env, state: this.stateId });
    return Promise.all(
      services
        .filter((s) => s.state === 'running')
        .map(async (s) => {
          const c = docker.getContainer(s.containerId);
          const [stats, info] = await Promise.all([c.stats({ stream: false }) as unknown as Promise<Docker.ContainerStats>, c.inspect()]);
          const cpuDelta = stats.cpu_stats.cpu_usage.total_usage - (stats.precpu_stats.cpu_usage?.total_usage ?? 0);
          const systemDelta = (stats.cpu_stats.system_cpu_usage ?? 0) - (stats.precpu_stats.system_cpu_usage ?? 0);
          const cpus = stats.cpu_stats.online_cpus || 1;
          const cache = (stats.memory_stats.stats as Record<string, number> | undefined)?.inactive_file ?? 0;
          return {
            service: s.service,
            cpu: systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * cpus : 0,
            cpuLimit: info.HostConfig.NanoCpus ? info.HostConfig.NanoCpus / 1e9 : undefined,
            memory: Math.max(0, (stats.memory_stats.usage ?? 0) - cache),
            memoryLimit: info.HostConfig.Memory || undefined,
          };
        }),
    );
  }

  /**
   * Restarts a service's container (same container, same URL) and waits until it is healthy
   * again by its own health check (up to that check's timeout), so a caller that goes on to use
   * the service finds it answering. Without a health check, or with an HTTP check on an engine
   * whose ports this machine cannot reach, running is enough. The signal stops the wait.
   */
  async restart(project: string, branch: string, service: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const container = await this.serviceContainer(project, branch, service);
    await container.restart({ t: 10 });
    const names = envNames(project, branch);
    const record = inspectRecord(this.home, names.project, names.env).record;
    const check = record?.ran?.services?.find((s) => s.name === service)?.healthcheck;
    const probed = !!check?.command || (!!check?.http && this.isLocalEngine(this.dockerHost));
    const deadline = Date.now() + (check?.timeoutMs ?? 30_000);
    let last: string;
    for (;;) {
      if (opts.signal?.aborted) throw new SlipwayError('operation-cancelled', `Stopped waiting for ${service} to become healthy; it was restarted.`);
      const services = await environmentContainers(this.docker, { project: names.project, env: names.env, state: this.stateId });
      const [state] = await this.probeHttpHealth(record, services.filter((s) => s.service === service), this.dockerHost);
      if (state?.state === 'running' && (state.health === 'healthy' || (state.health === 'none' && !probed))) return;
      last = state ? `it is ${state.state}, health ${state.health}` : 'its container is gone';
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, Math.min(check?.intervalMs ?? 500, 500)));
    }
    throw new SlipwayError('health-check-failed', `Service ${service} of ${project} / ${branch} restarted but did not become healthy within ${Math.round((check?.timeoutMs ?? 30_000) / 1000)}s: ${last}.`, {
      hint: `Look at its logs: slipway logs --service ${service} --branch "${branch}".`,
    });
  }

  private async serviceContainer(project: string, branch: string, service: string): Promise<Docker.Container> {
    const names = envNames(project, branch);
    const docker = await this.reachable();
    const services = await environmentContainers(docker, { project: names.project, env: names.env, state: this.stateId });
    const found = services.find((s) => s.service === service);
    if (!found) {
      throw new SlipwayError('service-not-found', `Service ${service} of ${project} / ${branch} has no container.`, {
        hint: 'Bring the environment up (slipway up) and try again.',
      });
    }
    return docker.getContainer(found.containerId);
  }

  async list(project?: string): Promise<EnvironmentStatus[]> {
    const slug = project ? projectSlug(project) : undefined;
    const { records, damaged } = listRecords(this.home, slug);
    await this.reachable();
    const out: EnvironmentStatus[] = [];
    const describeLive = async (r: EnvRecord, error?: DamagedFileError) => {
      const services = await environmentContainers(this.docker, { project: r.project, env: r.env, state: this.stateId });
      out.push(this.describe(r.project, r.env, r.branch, r, await this.probeHttpHealth(r, services, this.dockerHost), error));
    };
    for (const r of records) await describeLive(r);
    // A damaged record is listed too, rebuilt from its Docker labels, never left out.
    for (const d of damaged) await describeLive(await this.rebuiltRecord(this.docker, { project: d.project, env: d.env, state: this.stateId }), d.error);
    // So is an environment whose containers run with no record at all (it was deleted).
    const known = new Set([...records, ...damaged].map((r) => `${r.project}/${r.env}`));
    for (const e of await labelledEnvironments(this.docker, this.stateId, slug)) {
      if (known.has(`${e.project}/${e.env}`)) continue;
      const rebuilt = await this.rebuiltRecord(this.docker, { ...e, state: this.stateId });
      await describeLive(rebuilt, missingRecord(this.home, e.project, e.env));
    }
    return out.sort((a, b) => a.project.localeCompare(b.project) || a.branch.localeCompare(b.branch));
  }

  /**
   * The no-op `up`, answered without a Pulumi run when that run could only find every input
   * unchanged: the file backend (written by this state alone), the last `up` succeeded, its
   * program fingerprint equals the spec's now, and every container it made is running.
   */
  private async unchangedSinceLastUp(spec: Spec, branch: string, commit: string | undefined): Promise<UpResult | undefined> {
    if (!this.backendUrl.startsWith('file://')) return undefined;
    const names = envNames(spec.name, branch, this.stateId);
    // A damaged record says nothing reliable: a real run rebuilds it.
    const record = inspectRecord(this.home, names.project, names.env).record;
    if (!record?.applied || !record.ports || record.lastOperation.status !== 'succeeded') return undefined;
    if (lockOwner(lockPath(this.home, names.project, names.env)) !== undefined) return undefined;
    if (programFingerprint(spec, record.ports, this.dockerHost, this.stateId, { owner: record.owner, createdAt: record.createdAt }) !== record.applied.fingerprint) return undefined;
    // A new commit is recorded by a real run (gates and approvals refer to it), even if nothing changed.
    if (commit !== record.applied.commit) return undefined;
    const live = await environmentContainers(this.docker, { project: names.project, env: names.env, state: this.stateId });
    const running = Object.values(record.applied.containers).every((id) =>
      live.some((c) => c.containerId === id && c.state === 'running' && c.health !== 'unhealthy'),
    );
    if (!running) return undefined;
    return { project: names.project, env: names.env, branch, stack: names.stack, urls: record.urls, changes: { same: live.length } };
  }

  /**
   * Every declared service and database is named, also one whose container is gone from Docker
   * (state `missing`, removed outside Slipway); the environment is then `degraded`, not `stopped`.
   */
  private describe(project: string, env: string, branch: string, record: EnvRecord | undefined, live: ServiceState[], damaged?: DamagedFileError): EnvironmentStatus {
    const expected = record ? [...record.services, ...record.databases] : [];
    const missing = expected.filter((name) => !live.some((s) => s.service === name));
    const order = (name: string) => (expected.includes(name) ? expected.indexOf(name) : expected.length);
    const services = [...live, ...missing.map((service): ServiceState => ({ service, containerId: '', state: 'missing', health: 'none', image: '', ports: {} }))].sort(
      (a, b) => order(a.service) - order(b.service) || a.service.localeCompare(b.service),
    );
    // Provisioning only while the operation the record says is running has a live owner (pid and
    // start time) of the lock: a dead owner's operation was interrupted; a lock held by a check
    // (drift) over a finished operation changes nothing.
    const busy = lockOwner(lockPath(this.home, project, env)) !== undefined;
    let status: EnvironmentState;
    if (!record && live.length === 0) status = 'absent';
    else if (busy && (damaged || record?.lastOperation.status === 'running')) status = 'provisioning';
    else if (damaged && live.length === 0) status = 'absent';
    else if (record?.lastOperation.status === 'running' && !damaged) status = 'failed';
    else if (record?.lastOperation.status === 'failed' || record?.lastOperation.status === 'cancelled') status = 'failed';
    else {
      const up = live.filter((s) => s.state === 'running' && s.health !== 'unhealthy');
      if (missing.length > 0) status = 'degraded';
      else if (up.length === 0) status = 'stopped';
      else if (up.length < live.length) status = 'degraded';
      else status = 'running';
    }
    const urls: Record<string, string> = {};
    for (const name of record?.services ?? []) {
      const live = services.find((s) => s.service === name);
      const port = live ? Object.values(live.ports)[0] : undefined;
      if (port) urls[name] = `http://127.0.0.1:${port}`;
      else if (record?.urls[name]) urls[name] = record.urls[name];
    }
    return {
      project,
      env,
      branch,
      stack: env,
      status,
      urls,
      services,
      ...(missing.length ? { missing } : {}),
      // A rebuilt record knows nothing of the last operation.
      lastOperation: damaged ? undefined : record?.lastOperation,
      createdAt: record?.createdAt,
      updatedAt: record?.updatedAt,
      owner: record?.owner,
      specFile: record?.specFile,
      commit: record?.applied?.commit,
      ...(damaged ? { damaged: { file: damaged.file, line: damaged.line, problem: damaged.problem, hint: damaged.hint ?? '' } } : {}),
    };
  }

  private get runtime(): WorkerRuntime {
    return (this.workerRuntime ??= findRuntime());
  }

  private settings(dockerHost?: string): WorkerSettings {
    return {
      home: this.home,
      backendUrl: this.backendUrl,
      stateId: this.stateId,
      dockerHost: dockerHost ?? this.dockerHost,
      pulumiRoot: findPulumiRoot(),
      nodePath: this.runtime.nodePath,
      passphrase: secretsPassphrase(this.home, this.backendUrl),
      lockTimeoutMs: this.lockTimeoutMs,
    };
  }

  /**
   * Runs one request in a fresh worker process; resolves with its result, rejects with a
   * SlipwayError. Once the signal aborts, the worker is asked to cancel; with `stopGraceMs`, its
   * process group (the worker, Pulumi and its plugins) is killed if it has not exited by then, and
   * the call settles only once it has exited. A worker that died holding its environment's lock
   * leaves no lock behind.
   */
  private runWorker(request: WorkerRequest, opts: OperationOptions & { stopGraceMs?: number }): Promise<WorkerResult> {
    if (opts.signal?.aborted) {
      return Promise.reject(new SlipwayError('operation-cancelled', 'Cancelled before it started; nothing was changed.'));
    }
    // Its own process group: a terminal's Ctrl+C reaches the caller only, which cancels through
    // the worker, so Pulumi gets one interrupt (a second one would make it stop mid-step).
    // ELECTRON_RUN_AS_NODE: in VS Code the extension host's execPath is Electron, which must run as Node.
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1', NODE_PATH: this.runtime.nodePath };
    delete env[WORKER_MARK]; // the worker marks what it starts with its own pid
    const child = fork(this.runtime.worker, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env, detached: true });
    const log = (line: string) => this.logger.debug(`[worker ${child.pid}] ${line}`);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach(log));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => d.split('\n').filter(Boolean).forEach(log));
    return new Promise((resolve, reject) => {
      let settled = false;
      let killTimer: NodeJS.Timeout | undefined;
      let exited = false;
      /** What the worker reported, held until it has exited when the run was cancelled. */
      let outcome: (() => void) | undefined;
      const onAbort = () => {
        if (child.connected) child.send({ type: 'cancel' });
        if (opts.stopGraceMs !== undefined && child.pid !== undefined) {
          const pid = child.pid;
          killTimer = setTimeout(() => {
            this.logger.warn(`The stack worker (pid ${pid}) did not stop within ${opts.stopGraceMs} ms of its cancel: killing its process group.`);
            try {
              process.kill(-pid, 'SIGKILL');
            } catch {
              // gone already
            }
          }, opts.stopGraceMs);
        }
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (fn: () => void) => {
        if (settled) return;
        if (opts.signal?.aborted && opts.stopGraceMs !== undefined && !exited) {
          outcome ??= fn;
          return;
        }
        settled = true;
        clearTimeout(killTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        fn();
      };
      child.on('message', (msg: WorkerMessage) => {
        switch (msg.type) {
          case 'event':
            opts.onEvent?.(msg.event);
            break;
          case 'output':
            this.logger.trace(msg.line);
            opts.onOutput?.(msg.line);
            break;
          case 'result':
            finish(() => resolve(msg.result));
            break;
          case 'error':
            finish(() => reject(new SlipwayError(msg.error.reason, msg.error.message, { hint: msg.error.hint })));
            break;
        }
      });
      child.on('error', (err) => finish(() => reject(new SlipwayError('operation-failed', `The stack worker could not run: ${err.message}`, { cause: err }))));
      child.on('exit', (code, sig) => {
        exited = true;
        // Whatever way it ended, nothing it started (the Pulumi CLI, Pulumi's plugins) outlives it.
        const pid = child.pid;
        if (pid !== undefined) clearKilledWorkerLocks(request, pid);
        const ended = pid === undefined ? Promise.resolve(0) : endWorkerProcesses(pid, { group: true }).catch(() => 0);
        void ended.then((count) => {
          if (count > 0) this.logger.debug(`[worker ${pid}] ended ${count} process(es) it had started`);
          finish(
            outcome ??
              (() =>
                reject(
                  opts.signal?.aborted
                    ? new SlipwayError('operation-cancelled', `Cancelled; the stack worker was stopped (${sig ?? `exit code ${code}`}).`, {
                        hint: 'Run the command again: Slipway recovers from interrupted operations.',
                      })
                    : this.workerDied(request, pid, code, sig),
                )),
          );
        });
      });
      child.send({ type: 'run', request });
    });
  }

  /** The error of a worker that ended without a result; the environment's record says the same. */
  private workerDied(request: WorkerRequest, pid: number | undefined, code: number | null, sig: NodeJS.Signals | null): SlipwayError {
    const project = request.op === 'down' ? request.project : request.spec.name;
    const names = envNames(project, request.branch, this.stateId);
    const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
    const error = `the stack worker${pid ? ` (pid ${pid})` : ''} ${how} before it finished`;
    const record = inspectRecord(this.home, names.project, names.env).record;
    // The lock is not held by anyone alive, so no other operation writes this record now. The
    // next operation recovers from the interruption (pending operations in the state).
    if (record?.lastOperation.status === 'running' && record.lastOperation.op === request.op && lockOwner(lockPath(this.home, names.project, names.env)) === undefined) {
      writeRecord(this.home, { ...record, updatedAt: new Date().toISOString(), lastOperation: { ...record.lastOperation, status: 'failed', error, interrupted: true } });
    }
    const again = request.op === 'down' ? 'slipway down' : request.op === 'up' ? 'slipway up' : `slipway drift`;
    return new SlipwayError('worker-died', `${request.op} of ${names.project} / ${names.branch} stopped: ${error}; the processes it had started were stopped too.`, {
      hint: `Run \`${again}\` again: it recovers the interrupted operation and continues from what exists.${request.op === 'up' ? ' (`slipway down` removes it instead.)' : ''}`,
    });
  }
}

/** The damage of a record that is missing while its environment's containers run. */
function missingRecord(home: string, project: string, env: string): DamagedFileError {
  return new DamagedFileError(recordPath(home, project, env), 1, 'is missing, while the environment has containers', RECORD_REMEDY);
}

/** A drift item's kind (`container`, `image`, `generatedpassword`, ...) as a resource kind of the program. */
function resourceKind(kind: string): ResourceRef['kind'] {
  const known = resourceKindOf(kind);
  if (known) return known;
  throw new SlipwayError('spec-invalid', `"${kind}" is not a kind of Slipway resource (container, network, volume, image, password).`);
}
