/**
 * The environment engine: the one API the CLI, CI jobs and the VS Code extension call.
 *
 * `up` and `down` run in a stack worker process of their own (see pulumi/worker.ts) and
 * stream progress events back; `status` and `list` answer from Docker and Slipway's records
 * without a Pulumi run, so they are fast enough for a status bar.
 *
 * `LocalEnvironments` is the facade; its parts are in ./engine/: runtime discovery (runtime.ts),
 * the worker client (worker-client.ts), status and health (status.ts), service operations
 * (services.ts: logs, usage, restart, secrets), drift operations (drift.ts), public types (types.ts).
 */
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { SlipwayError } from './errors';
import { ensureDir } from './files';
import type { OperationOptions } from './events';
import { builtCommit, currentActor } from './git';
import { assertStageChange, type StageAccess } from './stage-guard';
import type { DriftReport } from './pipeline/drift';
import { silentLogger, type Logger } from './log';
import { envNames, stateId } from './naming';
import { timePhase } from './timings';
import { defaultBackendUrl, secretsPassphrase, slipwayHome } from './paths';
import { admitUp, releaseQuota } from './quotas/admit';
import { forgetShare } from './share/store';
import { restoreAfterFailedUp } from './restore';
import { inspectRecord } from './records';
import { assertDockerReachable, connectDocker } from './docker/engine';
import { defaultEndpoint, type DefaultEndpoint } from './docker/default-endpoint';
import type { ResourceRef } from './pulumi/fingerprint';
import { readSecretEnv } from './spec/service-extras';
import { findPulumiRoot } from './pulumi/locate';
import type { DownResult, UpResult, WorkerRequest, WorkerResult, WorkerSettings } from './pulumi/protocol';
import type { Spec } from './spec/types';
import type { EngineContext } from './engine/context';
import * as driftOps from './engine/drift';
import { noOpUpMessage, unchangedSinceLastUp } from './engine/no-op-up';
import { findRuntime, type WorkerRuntime } from './engine/runtime';
import * as serviceOps from './engine/services';
import * as statusOps from './engine/status';
import type {
  EngineOptions,
  EnvironmentStatus,
  Environments,
  LogOptions,
  ServiceUsage,
  StatusOptions,
  UpOptions,
} from './engine/types';
import { runWorker } from './engine/worker-client';

export type { DownResult, UpResult } from './pulumi/protocol';
export { findPulumiRoot } from './pulumi/locate';
export { findRuntime, type WorkerRuntime } from './engine/runtime';
export type {
  EngineOptions,
  EnvironmentState,
  EnvironmentStatus,
  Environments,
  LogOptions,
  ServiceUsage,
  StatusOptions,
  UpOptions,
} from './engine/types';

export class LocalEnvironments implements Environments {
  /** This state's owner id on the Docker Engine (label dev.slipway.state). */
  readonly stateId: string;
  private workerRuntime?: WorkerRuntime;
  private context?: EngineContext;
  /** When each Docker endpoint last answered a ping (`reachable`). */
  private readonly answered = new Map<string, number>();

  private constructor(
    readonly home: string,
    readonly backendUrl: string,
    /** The engine's endpoint and where it came from (--docker-host, DOCKER_HOST, a Docker context, or the local socket). */
    readonly endpoint: DefaultEndpoint,
    private readonly docker: Docker,
    private readonly logger: Logger,
    private readonly lockTimeoutMs: number,
    private readonly warmWorker?: EngineOptions['warmWorker'],
  ) {
    this.stateId = stateId(backendUrl);
    this.dockerHost = endpoint.dockerHost;
  }

  /** Docker endpoint of branch environments: `` (the local socket), a DOCKER_HOST URL or `context:NAME`. */
  readonly dockerHost: string;

  static async create(options: EngineOptions = {}): Promise<LocalEnvironments> {
    const home = slipwayHome(options.home);
    ensureDir(home);
    // As the Docker CLI chooses: DOCKER_HOST, DOCKER_CONTEXT, the current context, the local socket.
    const endpoint = defaultEndpoint(options.dockerHost, process.env);
    const docker = connectDocker(endpoint.dockerHost);
    return new LocalEnvironments(
      home,
      options.backendUrl ?? process.env.SLIPWAY_BACKEND_URL ?? defaultBackendUrl(home),
      endpoint,
      docker,
      options.logger ?? silentLogger,
      options.lockTimeoutMs ?? 10 * 60 * 1000,
      options.warmWorker,
    );
  }

  /** The parts of the engine (./engine/*.ts) reach its settings and the worker through this. */
  private get ctx(): EngineContext {
    return (this.context ??= {
      home: this.home,
      backendUrl: this.backendUrl,
      dockerHost: this.dockerHost,
      endpoint: this.endpoint,
      stateId: this.stateId,
      docker: this.docker,
      logger: this.logger,
      warm: this.warmWorker,
      runtime: () => this.runtime,
      reachable: (dockerHost) => this.reachable(dockerHost),
      settings: (dockerHost) => this.settings(dockerHost),
      runWorker: (request, opts) => this.runWorker(request, opts),
      up: (spec, branch, opts) => this.up(spec, branch, opts),
    });
  }

  async up(spec: Spec, branch: string, opts: UpOptions & StageAccess = {}): Promise<UpResult> {
    assertStageChange(branch, 'bring up', opts);
    for (const svc of spec.services) readSecretEnv(svc, spec.file); // an unset secret stops here, before anything is made
    const admitted = await admitUp(
      { home: this.home, stateId: this.stateId, docker: await this.reachable(opts.dockerHost) },
      spec,
      branch,
      opts.ttlMs,
    );
    return admitted.run(() => this.upAdmitted(admitted.spec, branch, opts));
  }

  private async upAdmitted(spec: Spec, branch: string, opts: UpOptions & StageAccess): Promise<UpResult> {
    const [commit, owner] = await Promise.all([builtCommit(spec.dir), currentActor(spec.dir)]);
    const unchanged =
      opts.replace?.length || opts.only?.length || opts.dockerHost !== undefined
        ? undefined
        : await unchangedSinceLastUp(this.ctx, spec, branch, commit);
    if (unchanged) {
      opts.onEvent?.({ type: 'step', message: noOpUpMessage(spec) });
      return unchanged;
    }
    const names = envNames(spec.name, branch, this.stateId);
    const prior = inspectRecord(this.home, names.project, names.env).record;
    const upOnly = (s: Spec) =>
      this.runWorker({ op: 'up', spec: s, branch, settings: this.settings(opts.dockerHost), commit, owner }, opts);
    const down = () => this.down(spec.name, branch, { dockerHost: opts.dockerHost });
    // Loaded only when a database has a seed (it brings the masking code, faker and pg).
    if (spec.databases.some((d) => d.seed)) {
      const { seedNewDatabases } = await import('./data/up-seed');
      await seedNewDatabases(
        spec,
        { home: this.home, docker: () => this.reachable(opts.dockerHost), names, prior, up: upOnly, down },
        opts,
      );
    }
    try {
      return (await this.runWorker(
        {
          op: 'up',
          spec,
          branch,
          settings: this.settings(opts.dockerHost),
          replace: opts.replace,
          only: opts.only,
          keepOnFailure: opts.keepOnFailure,
          commit,
          owner,
        },
        opts,
      )) as UpResult;
    } catch (err) {
      // A later up that failed leaves the environment as it was: what it took down runs again.
      if (!SlipwayError.is(err, 'operation-failed') || !prior?.applied || opts.only?.length || opts.signal?.aborted)
        throw err;
      const failed = inspectRecord(this.home, names.project, names.env).record?.lastOperation.error ?? err.message;
      const ctx = {
        docker: await this.reachable(opts.dockerHost),
        home: this.home,
        stateId: this.stateId,
        onEvent: opts.onEvent,
        up: (pinned: Spec) =>
          this.runWorker(
            {
              op: 'up',
              spec: pinned,
              branch,
              settings: this.settings(opts.dockerHost),
              commit: prior.applied?.commit,
              owner,
            },
            opts,
          ),
      };
      const after = await restoreAfterFailedUp(ctx, spec, branch, prior, failed).catch(() => undefined);
      if (!after) throw err;
      throw new SlipwayError('operation-failed', `${err.message}\n${after.runs}`, {
        hint: after.restored.length
          ? 'Fix the cause and run `slipway up` again; meanwhile the environment runs as it did before.'
          : err.hint,
        cause: err,
      });
    }
  }

  /**
   * The Docker client of an endpoint (the engine's own by default), once it answers. An endpoint
   * that answered within the last second is not asked again: one operation checks several times.
   */
  private async reachable(dockerHost?: string): Promise<Docker> {
    const docker = dockerHost === undefined ? this.docker : connectDocker(dockerHost);
    const endpoint = dockerHost ?? this.dockerHost;
    if ((this.answered.get(endpoint) ?? -Infinity) > performance.now() - 1000) return docker;
    await assertDockerReachable(docker, endpoint);
    this.answered.set(endpoint, performance.now());
    return docker;
  }

  /** What differs between the spec, Pulumi's state and the real Docker objects. */
  drift(
    spec: Spec,
    branch: string,
    opts: OperationOptions & { dockerHost?: string; stopGraceMs?: number } = {},
  ): Promise<DriftReport> {
    return driftOps.drift(this.ctx, spec, branch, opts);
  }

  /**
   * Drift, checked again every `intervalMs` and soon after any Docker event on the
   * environment's containers (stopped, removed, recreated), until the signal aborts.
   */
  watchDrift(
    spec: Spec,
    branch: string,
    opts: OperationOptions & { dockerHost?: string; intervalMs: number },
  ): AsyncGenerator<DriftReport> {
    return driftOps.watchDrift(this.ctx, spec, branch, opts);
  }

  /**
   * Remedy `accept`: takes reality into the state (a refresh), of every resource or of the
   * `resources` given; returns the drift that remains.
   */
  async acceptDrift(
    spec: Spec,
    branch: string,
    opts: OperationOptions & StageAccess & { dockerHost?: string; resources?: ResourceRef[] } = {},
  ): Promise<DriftReport> {
    assertStageChange(branch, 'accept drift on', opts);
    return driftOps.acceptDrift(this.ctx, spec, branch, opts);
  }

  /**
   * Remedy `reapply`: makes reality match the spec, recreating every drifted container. With
   * `resources`, only those: what runs differently is recreated, and a spec difference is
   * applied to that resource and what depends on it (a targeted update), nothing else.
   */
  async reapply(
    spec: Spec,
    branch: string,
    opts: OperationOptions & StageAccess & { dockerHost?: string; resources?: ResourceRef[] } = {},
  ): Promise<DriftReport> {
    assertStageChange(branch, 'reapply', opts);
    return driftOps.reapply(this.ctx, spec, branch, opts);
  }

  async down(
    project: string,
    branch: string,
    opts: OperationOptions & { dockerHost?: string } = {},
  ): Promise<DownResult> {
    const docker = await this.reachable(opts.dockerHost);
    const result = (await this.runWorker(
      { op: 'down', project, branch, settings: this.settings(opts.dockerHost) },
      opts,
    )) as DownResult;
    await timePhase('records after the stack worker (quota, share, seed)', async () => {
      await releaseQuota(this.stateId, project, branch, this.home);
      forgetShare(this.home, project, branch);
      await (await import('./data/snapshot-refs')).forgetSeed(docker, this.home, result.project, result.env);
    });
    return result;
  }

  /** `dockerHost`: the endpoint the environment runs on (a stage's own); default the engine's. */
  status(project: string, branch: string, dockerHost?: string, opts?: StatusOptions): Promise<EnvironmentStatus> {
    return statusOps.status(this.ctx, project, branch, dockerHost, opts);
  }

  list(project?: string): Promise<EnvironmentStatus[]> {
    return statusOps.list(this.ctx, project);
  }

  /**
   * The environment's secret values as its containers hold them: each database's generated
   * password, and every env value that contains one (a database URL). Read from Docker (no Pulumi
   * run), for scrubbing what gates and logs show; never stored.
   */
  environmentSecrets(project: string, branch: string, dockerHost?: string): Promise<string[]> {
    return serviceOps.environmentSecrets(this.ctx, project, branch, dockerHost);
  }

  /** A service's container logs (stdout and stderr), line by line; with `follow`, until the signal aborts. */
  logs(project: string, branch: string, service: string, opts: LogOptions): Promise<void> {
    return serviceOps.logs(this.ctx, project, branch, service, opts);
  }

  /**
   * CPU and memory each service's container uses now, against its limits (one Docker stats
   * sample per container). CPU in cores; memory in bytes; a limit is absent when there is none.
   */
  usage(project: string, branch: string): Promise<ServiceUsage[]> {
    return serviceOps.usage(this.ctx, project, branch);
  }

  /**
   * Restarts a service's container (same container, same URL) and waits until it is healthy
   * again by its own health check (up to that check's timeout), so a caller that goes on to use
   * the service finds it answering. Without a health check, or with an HTTP check on an engine
   * whose ports this machine cannot reach, running is enough. The signal stops the wait.
   */
  restart(project: string, branch: string, service: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    return serviceOps.restart(this.ctx, project, branch, service, opts);
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

  /** Runs one request in a fresh stack worker process (./engine/worker-client.ts). */
  private runWorker(request: WorkerRequest, opts: OperationOptions & { stopGraceMs?: number }): Promise<WorkerResult> {
    return runWorker(this.ctx, request, opts);
  }
}
