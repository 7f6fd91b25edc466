/** The YAML shape of a spec as the schema accepts it, and its normalization into the `Spec` the engine consumes. */
import { resolve } from 'node:path';
import { shellWords } from './compose-values';
import { initMounts } from './database-init';
import { DEFAULT_JOB_TIMEOUT } from './job';
import { attachMocks, mockImageContext, mockServices, normalizeMocks, type RawMock } from './mocks';
import { normalizePipeline, type RawPipeline } from './pipeline';
import { normalizeSeed } from './seed';
import { normalizeExtras, startOrder, type RawExtras } from './service-extras';
import type { SpecSource } from './source';
import { parseTemplate } from './template';
import type { DatabaseSpec, HealthCheck, ServiceSpec, Spec, TemplateValue } from './types';
import { parseDuration, parseMemory } from './units';

interface RawResources {
  cpus?: number;
  memory?: string | number;
}

interface RawHealthCheck {
  http?: string | { path: string; port?: number };
  command?: string[];
  interval?: string;
  timeout?: string;
}

interface RawService extends RawExtras {
  build?:
    | string
    | { context: string; dockerfile?: string; args?: Record<string, string | number | boolean>; target?: string };
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  user?: string;
  working_dir?: string;
  ports?: number[];
  env?: Record<string, string | number | boolean>;
  healthcheck?: RawHealthCheck;
  resources?: RawResources;
  job?: boolean | { timeout?: string };
}

interface RawDatabase {
  engine: 'postgres';
  version: string | number;
  image?: string;
  database?: string;
  user?: string;
  resources?: RawResources;
  seed?: { source: string; policy: string; schedule?: string };
  init?: string | string[];
}

export interface RawSpec {
  version: 1;
  name: string;
  services: Record<string, RawService>;
  databases?: Record<string, RawDatabase>;
  data?: Record<string, unknown>;
  mocks?: Record<string, RawMock>;
  pipeline?: RawPipeline;
  ttl?: string;
}

export const DEFAULT_DOCKERFILE = 'Dockerfile';
const DEFAULT_USER = 'app';
const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_TIMEOUT_MS = 60_000;

/** The normalized spec (only for a spec with no issues). */
export function normalize(raw: RawSpec, source: SpecSource): Spec {
  const spec: Spec = {
    version: 1,
    name: raw.name,
    file: source.file,
    dir: source.dir,
    services: startOrder(
      Object.entries(raw.services).map(([name, s]) =>
        normalizeService(name, s, source, Object.keys(raw.databases ?? {})),
      ),
    ),
    databases: Object.entries(raw.databases ?? {}).map(([name, d]) => normalizeDatabase(name, d, source)),
  };
  if (raw.data !== undefined) spec.data = raw.data;
  if (raw.mocks !== undefined) {
    spec.mocks = normalizeMocks(raw.mocks, source.dir);
    spec.services.push(...mockServices(spec.mocks, source.dir, mockImageContext()));
  }
  if (raw.pipeline !== undefined) spec.pipeline = attachMocks(normalizePipeline(raw.pipeline, source.dir), spec.mocks);
  if (raw.ttl !== undefined) spec.ttlMs = parseDuration(raw.ttl);
  return spec;
}

function normalizeService(name: string, raw: RawService, source: SpecSource, databases: string[]): ServiceSpec {
  const ports = raw.ports ?? [];
  const env: Record<string, TemplateValue> = {};
  for (const [variable, value] of Object.entries(raw.env ?? {})) {
    env[variable] =
      typeof value === 'string'
        ? parseTemplate(value).value
        : // Numbers and booleans keep their spelling (`1.10` stays "1.10", not "1.1").
          [source.scalarSource(['services', name, 'env', variable]) ?? String(value)];
  }
  const service: ServiceSpec = {
    name,
    ports,
    env,
    resources: normalizeResources(raw.resources),
    dependsOn: dependsOn(name, env),
  };
  if (raw.build !== undefined) {
    const {
      context,
      dockerfile = DEFAULT_DOCKERFILE,
      target,
    } = typeof raw.build === 'string' ? { context: raw.build, target: undefined } : raw.build;
    service.build = { context: resolve(source.dir, context), dockerfile, ...(target ? { target } : {}) };
  }
  if (raw.job)
    service.job = { timeoutMs: parseDuration((typeof raw.job === 'object' && raw.job.timeout) || DEFAULT_JOB_TIMEOUT) };
  const { buildArgs, after, ...extras } = normalizeExtras(raw, source.dir, databases);
  if (service.build && buildArgs) service.build.args = buildArgs;
  Object.assign(service, extras);
  for (const k of ['services', 'databases'] as const)
    service.dependsOn[k] = [...new Set([...service.dependsOn[k], ...after[k]])];
  if (raw.image !== undefined) service.image = raw.image;
  // A single string is a shell command line.
  if (typeof raw.command === 'string') service.command = ['sh', '-c', raw.command];
  else if (raw.command !== undefined) service.command = raw.command;
  // An entrypoint string is its words (as compose reads it), not a shell command line.
  if (raw.entrypoint !== undefined)
    service.entrypoint = typeof raw.entrypoint === 'string' ? shellWords(raw.entrypoint) : raw.entrypoint;
  if (raw.user !== undefined) service.user = raw.user;
  if (raw.working_dir !== undefined) service.workingDir = raw.working_dir;
  if (raw.healthcheck) service.healthcheck = normalizeHealthCheck(raw.healthcheck, ports);
  return service;
}

/** The services (other than itself) and databases a service refers to, in order of first reference. */
function dependsOn(self: string, env: Record<string, TemplateValue>): ServiceSpec['dependsOn'] {
  const services = new Set<string>();
  const databases = new Set<string>();
  for (const value of Object.values(env)) {
    for (const part of value) {
      if (typeof part === 'string') continue;
      if (part.ref.kind === 'databases') databases.add(part.ref.name);
      else if (part.ref.name !== self) services.add(part.ref.name);
    }
  }
  return { services: [...services], databases: [...databases] };
}

function normalizeHealthCheck(raw: RawHealthCheck, ports: number[]): HealthCheck {
  const check: HealthCheck = {
    intervalMs: raw.interval !== undefined ? parseDuration(raw.interval) : DEFAULT_INTERVAL_MS,
    timeoutMs: raw.timeout !== undefined ? parseDuration(raw.timeout) : DEFAULT_TIMEOUT_MS,
  };
  if (typeof raw.http === 'string') check.http = { path: raw.http, port: ports[0] };
  else if (raw.http) check.http = { path: raw.http.path, port: raw.http.port ?? ports[0] };
  if (raw.command) check.command = raw.command;
  return check;
}

function normalizeDatabase(name: string, raw: RawDatabase, source: SpecSource): DatabaseSpec {
  // A number such as 15 or 15.10 keeps its spelling: "15", "15.10".
  const version =
    typeof raw.version === 'string'
      ? raw.version
      : (source.scalarSource(['databases', name, 'version']) ?? String(raw.version));
  return {
    name,
    engine: raw.engine,
    version,
    image: raw.image ?? `slipway/${raw.engine}:${version}`,
    database: raw.database ?? name,
    user: raw.user ?? DEFAULT_USER,
    resources: normalizeResources(raw.resources),
    ...(raw.seed ? { seed: normalizeSeed(raw.seed, source.dir) } : {}),
    ...(raw.init ? { init: initMounts(raw.init, source.dir) } : {}),
  };
}

function normalizeResources(raw: RawResources | undefined): { cpus?: number; memoryBytes?: number } {
  const resources: { cpus?: number; memoryBytes?: number } = {};
  if (raw?.cpus !== undefined) resources.cpus = raw.cpus;
  if (raw?.memory !== undefined) resources.memoryBytes = parseMemory(raw.memory);
  return resources;
}
