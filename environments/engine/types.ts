/** The engine's public options and results: environment status, service usage, log and up options, the \`Environments\` interface. */
import type { OperationOptions } from '../events';
import type { ServiceState } from '../docker/engine';
import type { ResourceRef } from '../pulumi/fingerprint';
import type { DownResult, UpResult } from '../pulumi/protocol';
import type { Logger } from '../log';
import type { EnvRecord } from '../records';
import type { Spec } from '../spec/types';

export interface EngineOptions {
  /** Slipway's state folder; default `SLIPWAY_HOME` or `~/.slipway`. */
  home?: string;
  /** Any Pulumi backend URL; default the file backend under `<home>/state`. */
  backendUrl?: string;
  /**
   * Docker endpoint (`unix:///...`, `tcp://...`, `context:NAME`); default as the Docker CLI
   * chooses: `DOCKER_HOST`, `DOCKER_CONTEXT`, the CLI's current context, the local socket.
   */
  dockerHost?: string;
  logger?: Logger;
  /** How long an operation waits for another one on the same environment; default 10 minutes. */
  lockTimeoutMs?: number;
  /** Start a warm stack worker per project when none runs (the editor), idle for `idleMs`; default: use one only if it runs. */
  warmWorker?: { start?: boolean; idleMs?: number };
}

export type EnvironmentState = 'absent' | 'provisioning' | 'running' | 'degraded' | 'stopped' | 'failed';

export interface EnvironmentStatus {
  project: string;
  env: string;
  branch: string;
  stack: string;
  status: EnvironmentState;
  urls: Record<string, string>;
  /** The URL on 127.0.0.1 of each mock (`payments` → its `mock-payments` service's URL). */
  mocks?: Record<string, string>;
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
  /** The engine it runs on when that is not this machine's own (a stage's endpoint, TLS files shown as "(TLS)"). */
  dockerHost?: string;
  /** The engine it is looked at on, and why that one (DOCKER_HOST, a Docker context and where it was chosen, its record, the local socket). */
  engine?: string;
  /** Set when that engine did not answer: why; its services are then not known. */
  unreachable?: string;
  /** The git commit its last successful up ran. */
  commit?: string;
  /** Each seeded database: the masked snapshot it started from and how (layered on it, or copied), or masked anew. */
  seeds?: Record<string, { snapshot?: string; clone?: 'overlay' | 'copy' }>;
  /** When it expires without further activity (`slipway gc` then tears it down). */
  ttl?: EnvRecord['ttl'];
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
  replace?: Array<{ kind: 'container' | 'network' | 'volume' | 'swarm-service'; name: string }>;
  /** Apply the spec to these resources only, and what depends on them (a targeted update); default all. */
  only?: ResourceRef[];
  /** Docker endpoint for this environment (a stage's own host); default the engine's. */
  dockerHost?: string;
  /**
   * A first `up` (the environment never came up) that fails removes everything it created, and
   * its stack; with this, it is kept to look at. A later `up` that fails always leaves what runs.
   */
  keepOnFailure?: boolean;
  /** How long the environment lives after this up without further activity; default the spec's `ttl:`, else `slipway.ttl.default`. */
  ttlMs?: number;
}

/** What `status` looks at besides the record and Docker. */
export interface StatusOptions {
  /** Probe the services whose health check is an HTTP GET (default true); false when only existence matters. */
  health?: boolean;
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
