/**
 * The normalized, validated form of `slipway.yaml` v1. The loader (./load.ts) turns the YAML
 * into this shape after schema validation; the engine only ever sees this shape.
 */
import type { MockSpec } from './mocks';

/** A reference inside a string value: `${{ databases.db.url }}` or `${{ services.api.url }}`. */
export interface SpecRef {
  kind: 'databases' | 'services';
  name: string;
  /** databases: url | host | port | user | password | name ; services: url | host | port */
  attr: string;
}

/** A string value split into literal text and references, in order. */
export type TemplateValue = Array<string | { ref: SpecRef }>;

export interface HealthCheck {
  /** HTTP GET answered with a 2xx on this path of the service's first port, probed from the host. */
  http?: { path: string; port: number };
  /** A command run inside the container (Docker HEALTHCHECK, exec form). */
  command?: string[];
  intervalMs: number;
  /** How long `up` waits for the service to become healthy. */
  timeoutMs: number;
}

export interface ServiceSpec {
  name: string;
  /** Build from a context folder (absolute path) with a Dockerfile relative to it. */
  /** `target`: the Dockerfile stage built (`docker build --target`); default its last. */
  build?: { context: string; dockerfile: string; args?: Record<string, string>; target?: string };
  /** Or run an existing local image. Exactly one of build / image is set. */
  image?: string;
  command?: string[];
  /** Overrides of the image's ENTRYPOINT, USER and WORKDIR. */
  entrypoint?: string[];
  user?: string;
  workingDir?: string;
  /** Container ports, each published on 127.0.0.1; the first one is the service's URL. */
  ports: number[];
  env: Record<string, TemplateValue>;
  healthcheck?: HealthCheck;
  resources: { cpus?: number; memoryBytes?: number };
  /** Env files (absolute paths, with a hash of their content), read when the environment comes up; their values are secrets. */
  envFiles?: Array<{ path: string; hash: string }>;
  /** Variables whose values are secrets, from an environment variable or a file (absolute path). */
  secrets?: Array<{ name: string; env?: string; file?: string }>;
  /** Named volumes of the environment and bind mounts of folders inside the project. */
  mounts?: ServiceMount[];
  /** Names of the services and databases this one refers to (from its env) or names in depends_on. */
  dependsOn: { services: string[]; databases: string[] };
  /** A one-off task: it runs to completion (exit 0) within `timeoutMs`, before what depends on it starts. */
  job?: { timeoutMs: number };
}

/** A named volume (`volume`, one per environment) or a bind mount of an absolute `source` inside the project. */
export type ServiceMount =
  | { volume: string; target: string; readOnly: boolean; source?: undefined }
  | { source: string; target: string; readOnly: boolean; volume?: undefined };

export interface DatabaseSpec {
  name: string;
  engine: 'postgres';
  version: string;
  /** The local image that runs it; default `slipway/postgres:<version>`. */
  image: string;
  /** Database and role created in it; default: the database's key and `app`. */
  database: string;
  user: string;
  resources: { cpus?: number; memoryBytes?: number };
  /** A masked copy of a source that a new database of each environment starts from. */
  seed?: SeedSpec;
  /**
   * Scripts run once when the database is first created: each an absolute `source` inside the
   * project mounted read-only at `target` (in or as /docker-entrypoint-initdb.d, in their order).
   */
  init?: Array<{ source: string; target: string }>;
}

/**
 * `databases.<name>.seed`: the source is named, never held (an environment variable read when
 * seeding, or a dump file's absolute path); `policy` is the masking policy file's absolute path.
 */
export interface SeedSpec {
  source: { env: string } | { file: string };
  policy: string;
  /** A cron expression: `slipway data sync` re-seeds running environments on it. */
  schedule?: string;
}

export interface Spec {
  version: 1;
  /** Project name as written (the engine slugs it). */
  name: string;
  /** Absolute path of the spec file, and its folder (relative paths resolve from here). */
  file: string;
  dir: string;
  /** In declaration order. */
  services: ServiceSpec[];
  databases: DatabaseSpec[];
  /** What loads but is likely a mistake (a `${databases.db.url}` with single braces), at its exact position; absent when none. */
  warnings?: import('../errors').SpecIssue[];
  /** Reserved for later: data masking. Validated loosely, passed through. */
  data?: unknown;
  /** Mocks of third-party APIs; each also runs as a service `mock-<name>` in `services`. */
  mocks?: MockSpec[];
  pipeline?: PipelineSpec;
  /** How long an environment lives after its last activity (`ttl:`), in ms. */
  ttlMs?: number;
}

/**
 * One gate guarding promotion into a stage, with its kind's settings at their defaults where not
 * written. `name` is unique within the stage (default: the kind). Paths (`cwd`, `report`,
 * `summary`) are absolute; an absent `cwd` means the spec's folder. Durations are milliseconds.
 * - health / drift: the source environment is healthy / has no drift;
 * - command: `sh -c run` exits with 0 within `timeoutMs` (default 10 minutes);
 * - vulnerabilities: no npm audit finding at or above `maxSeverity` (default high), from `report`
 *   or from running `npm audit --json` in `cwd`;
 * - licenses: no installed package's license is denied, or outside `allow` when that is not empty;
 * - coverage: istanbul json-summary `total.<metric>.pct` >= `min` (metric default lines);
 * - approval: `count` (default 1) distinct principals, none of whom authored or committed the
 *   promoted range, whose SSH signatures over the promotion verify against `allowedSigners`;
 * - window: now, in `timezone`, is inside an `allow` range (`"Mon-Fri 09:00-17:00"`; any time when
 *   none) and outside every `freeze` (`from`/`to` are `YYYY-MM-DDTHH:MM` in `timezone`);
 * - checks: the commit's GitHub check runs named in `required` (all when empty) succeeded.
 */
export type GateSpec =
  | { kind: 'health'; name: string }
  | { kind: 'drift'; name: string }
  | { kind: 'command'; name: string; run: string; timeoutMs: number; cwd?: string }
  | {
      kind: 'vulnerabilities';
      name: string;
      report?: string;
      maxSeverity: 'info' | 'low' | 'moderate' | 'high' | 'critical';
      cwd?: string;
    }
  | { kind: 'licenses'; name: string; allow: string[]; deny: string[]; cwd?: string }
  | {
      kind: 'coverage';
      name: string;
      summary: string;
      metric: 'lines' | 'statements' | 'functions' | 'branches';
      min: number;
    }
  | { kind: 'approval'; name: string; count: number; allowedSigners: string }
  | {
      kind: 'window';
      name: string;
      timezone: string;
      allow: string[];
      freeze: Array<{ from: string; to: string; reason?: string }>;
    }
  | { kind: 'checks'; name: string; repository: string; apiUrl: string; tokenEnv: string; required: string[] }
  /** mocks: each mock named in `against` answers its recorded and stubbed requests as the real API does (`mocks` is filled from the spec's mocks:). */
  | { kind: 'mocks'; name: string; against: Record<string, string>; mocks: MockSpec[] };

export type GateKind = GateSpec['kind'];

export interface StageSpec {
  name: string;
  /**
   * Docker endpoint of the stage (`unix://`, `tcp://`, `ssh://`, `context://NAME`); default the local engine. A
   * tcp:// endpoint carries its TLS choice from the spec's `tls` as query parameters
   * (`?tlscacert=…&tlscert=…&tlskey=…`, or `?tls=false`).
   */
  dockerHost?: string;
  /** Registry (host[:port][/path]) the release's images travel through to the stage's engine, instead of streaming them. */
  registry?: string;
  /** Where `registry` came from when a team policy set it (`registry.default in /home/ci/.slipway/policy.yaml:3`); absent when the spec did. */
  registryFrom?: string;
  /** Swarm services on a Swarm cluster (the dockerHost is a manager), else containers. */
  swarm?: SwarmStage;
  /** Its data profile: `same` seeds its databases with the masking policy the promoted environment was seeded with. */
  seed?: 'same' | 'none';
  /** Gates that must pass to promote into this stage (none for the first stage). */
  gates: GateSpec[];
}

/** A stage on a Docker Swarm cluster: replicas and placement of every service, and how a promotion rolls out. */
export interface SwarmStage {
  replicas: number;
  placement: string[];
  rollout: { order: 'stop-first' | 'start-first'; parallelism: number; delayMs: number; monitorMs: number };
}

export interface PipelineSpec {
  /** The git ref whose spec holds the gates (default: the repository's default branch). */
  rulesFrom?: string;
  /** In order; the first is `preview` (the branch environments). */
  stages: StageSpec[];
}
