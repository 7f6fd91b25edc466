/**
 * The normalized, validated form of `slipway.yaml` v1. The loader (./load.ts) turns the YAML
 * into this shape after schema validation; the engine only ever sees this shape.
 */

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
  build?: { context: string; dockerfile: string };
  /** Or run an existing local image. Exactly one of build / image is set. */
  image?: string;
  command?: string[];
  /** Container ports, each published on 127.0.0.1; the first one is the service's URL. */
  ports: number[];
  env: Record<string, TemplateValue>;
  healthcheck?: HealthCheck;
  resources: { cpus?: number; memoryBytes?: number };
  /** Names of the services and databases this one refers to (from its env). */
  dependsOn: { services: string[]; databases: string[] };
}

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
  /** Reserved for later: data masking, mocks, pipeline. Validated loosely, passed through. */
  data?: unknown;
  mocks?: unknown;
  pipeline?: unknown;
}
