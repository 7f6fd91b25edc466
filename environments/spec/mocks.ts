// `mocks:` in slipway.yaml: checks the schema cannot make, and the mocks' normalized form and the services that run them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { defaultRules } from '../mocks/redact';
import type { Exchange, MockConfig, RedactRules, Stub } from '../mocks/types';
import type { PipelineProblem } from './pipeline';
import type { PipelineSpec, ServiceSpec } from './types';

export const DEFAULT_MOCK_PORT = 4010;
/** Mocks run as services named `mock-<name>`; `${{ mocks.payments.url }}` is `${{ services.mock-payments.url }}`. */
export const MOCK_SERVICE_PREFIX = 'mock-';
export const MOCK_HEALTH_PATH = '/__slipway/health';
/** The configuration travels in one env value, and Linux refuses one over 128 KiB when the container starts. */
export const MAX_MOCK_CONFIG_CHARS = 120_000;

export interface MockSpec {
  name: string;
  port: number;
  state: boolean;
  stubs: Stub[];
  /** Absolute folder of recorded exchanges (it may not exist yet). */
  recordings?: string;
  /** Absolute path of the OpenAPI document. */
  openapi?: string;
  redact: RedactRules;
}

export interface RawMock {
  openapi?: string;
  recordings?: string;
  stubs?: Array<Omit<Stub, 'method' | 'response'> & { method?: string; response: Partial<Stub['response']> }>;
  state?: boolean;
  port?: number;
  redact?: Partial<RedactRules>;
}

type Problem = PipelineProblem;

export function mockServiceName(mock: string): string {
  return `${MOCK_SERVICE_PREFIX}${mock}`;
}

/** The mock a service name stands for, when it is a mock's. */
export function mockOfService(service: string, mocks: readonly { name: string }[] | undefined): string | undefined {
  return mocks?.find((m) => mockServiceName(m.name) === service)?.name;
}

/** Files, folders and patterns of each mock (run on the raw data; shapes are the schema's to report). */
export function mockProblems(raw: unknown, dir: string, serviceNames: string[]): Problem[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return [];
  const problems: Problem[] = [];
  for (const [name, mock] of Object.entries(raw as Record<string, unknown>)) {
    if (!mock || typeof mock !== 'object') continue;
    const m = mock as RawMock;
    const before = problems.length;
    if (m.openapi === undefined && m.recordings === undefined && m.stubs === undefined) {
      problems.push({
        path: ['mocks', name],
        at: 'key',
        message: `mock "${name}" has no source: give it openapi (a document), recordings (a folder) or stubs`,
      });
    }
    if (serviceNames.includes(mockServiceName(name))) {
      problems.push({
        path: ['mocks', name],
        at: 'key',
        message: `mock "${name}" runs as service "${mockServiceName(name)}", a name already used by a service; rename one`,
      });
    }
    if (typeof m.openapi === 'string') {
      try {
        openApiFiles(resolve(dir, m.openapi), dir);
      } catch (err) {
        problems.push({ path: ['mocks', name, 'openapi'], at: 'value', message: (err as Error).message });
      }
    }
    if (typeof m.recordings === 'string') {
      const folder = resolve(dir, m.recordings);
      if (existsSync(folder) && !statSync(folder).isDirectory())
        problems.push({
          path: ['mocks', name, 'recordings'],
          at: 'value',
          message: `${folder} is a file; recordings is a folder`,
        });
      else {
        try {
          readRecordings(folder);
        } catch (err) {
          problems.push({ path: ['mocks', name, 'recordings'], at: 'value', message: (err as Error).message });
        }
      }
    }
    if (problems.length === before && (typeof m.openapi === 'string' || typeof m.recordings === 'string')) {
      try {
        const size = encodeMockConfig(
          mockConfig(normalizeMocks({ [name]: { ...m, stubs: Array.isArray(m.stubs) ? m.stubs : [] } }, dir)[0], dir),
        ).length;
        if (size > MAX_MOCK_CONFIG_CHARS) {
          problems.push({
            path: ['mocks', name],
            at: 'key',
            message: `mock "${name}" is ${Math.ceil(size / 1024)} KiB compressed (its document, the files it refers to and its recordings); a mock must stay under ${MAX_MOCK_CONFIG_CHARS / 1000} KB: describe only the operations the app calls, or trim recordings`,
          });
        }
      } catch {
        // a broken file is reported above
      }
    }
    for (const [i, pattern] of (Array.isArray(m.redact?.patterns) ? m.redact.patterns : []).entries()) {
      try {
        new RegExp(pattern);
      } catch (err) {
        problems.push({
          path: ['mocks', name, 'redact', 'patterns', i],
          at: 'value',
          message: `not a regular expression: ${(err as Error).message}`,
        });
      }
    }
  }
  return problems;
}

export function normalizeMocks(raw: Record<string, RawMock>, dir: string): MockSpec[] {
  return Object.entries(raw).map(([name, m]) => {
    const mock: MockSpec = {
      name,
      port: m.port ?? DEFAULT_MOCK_PORT,
      state: m.state === true,
      stubs: (m.stubs ?? []).map((s) => ({
        ...s,
        method: (s.method ?? 'GET').toUpperCase(),
        response: { status: s.response.status ?? 200, ...s.response },
      })),
      redact: defaultRules(m.redact),
    };
    if (m.openapi !== undefined) mock.openapi = resolve(dir, m.openapi);
    if (m.recordings !== undefined) mock.recordings = resolve(dir, m.recordings);
    return mock;
  });
}

/** The configuration as the container reads it from SLIPWAY_MOCK: gzip, then base64. */
export function encodeMockConfig(config: MockConfig): string {
  return gzipSync(JSON.stringify(config)).toString('base64');
}

/** The mock server's whole configuration, with the document's files and the recordings read in. */
export function mockConfig(mock: MockSpec, dir: string): MockConfig {
  const config: MockConfig = {
    name: mock.name,
    port: mock.port,
    state: mock.state,
    stubs: mock.stubs,
    recordings: mock.recordings ? readRecordings(mock.recordings) : [],
    redact: mock.redact,
  };
  if (mock.openapi)
    config.openapi = {
      entry: relative(dir, mock.openapi).split(sep).join('/'),
      files: openApiFiles(mock.openapi, dir),
    };
  return config;
}

/** One service per mock: the mock server image with its configuration in SLIPWAY_MOCK, health checked on its admin path. */
export function mockServices(mocks: MockSpec[], dir: string, imageContext: string): ServiceSpec[] {
  return mocks.map((mock) => ({
    name: mockServiceName(mock.name),
    build: { context: imageContext, dockerfile: 'Dockerfile' },
    ports: [mock.port],
    env: { SLIPWAY_MOCK: [encodeMockConfig(mockConfig(mock, dir))] },
    healthcheck: { http: { path: MOCK_HEALTH_PATH, port: mock.port }, intervalMs: 500, timeoutMs: 60_000 },
    resources: { cpus: 0.5, memoryBytes: 128 * 1024 * 1024 },
    dependsOn: { services: [], databases: [] },
  }));
}

/**
 * The document and every local file it reaches through `$ref`, keyed by path relative to `root`
 * (the spec's folder). Throws a readable error for a missing or unparsable file, a remote `$ref`,
 * or a file outside the project.
 */
export function openApiFiles(entry: string, root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const visit = (file: string, from?: string): void => {
    const rel = relative(root, file);
    if (rel.startsWith('..') || isAbsolute(rel))
      throw new Error(`${file} is outside the project folder ${root}; keep API documents inside it`);
    const key = rel.split(sep).join('/');
    if (key in files) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${file} does not exist${from ? ` ($ref from ${from})` : ''}`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = parse(text);
    } catch (err) {
      throw new Error(`${file} is not YAML or JSON: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    if (from === undefined && !(doc && typeof doc === 'object' && ('openapi' in doc || 'swagger' in doc))) {
      throw new Error(`${file} is not an OpenAPI document: it has no "openapi" (3.x) or "swagger" (2.0) field`);
    }
    files[key] = text;
    for (const ref of refs(doc)) {
      const target = ref.split('#')[0];
      if (target === '') continue;
      if (/^[a-z]+:\/\//i.test(target))
        throw new Error(`$ref "${ref}" in ${file} is remote; mocks run offline, so copy it into the project`);
      visit(resolve(dirname(file), target), file);
    }
  };
  visit(entry);
  return files;
}

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

/** Every `*.json` exchange in the folder, in name order (none when the folder does not exist yet). */
export function readRecordings(folder: string): Exchange[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = join(folder, f);
      let e: Partial<Exchange>;
      try {
        e = JSON.parse(readFileSync(file, 'utf8')) as Partial<Exchange>;
      } catch (err) {
        throw new Error(`${file} is not JSON: ${(err as Error).message}`, { cause: err });
      }
      if (!e?.request?.method || typeof e.request.path !== 'string' || typeof e.response?.status !== 'number') {
        throw new Error(
          `${file} is not a recorded exchange: it needs request.method, request.path and response.status`,
        );
      }
      return {
        request: { ...e.request, query: e.request.query ?? {}, headers: e.request.headers ?? {} },
        response: { ...e.response, headers: e.response.headers ?? {} },
      };
    });
}

/** Where the mock server's image is built from: a folder with its Dockerfile and bundled server (`node scripts/build.mjs`). */
export function mockImageContext(): string {
  const candidates = [
    process.env.SLIPWAY_MOCK_IMAGE_DIR,
    join(__dirname, 'mock-image'),
    join(__dirname, '..', '..', 'dist', 'mock-image'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(join(c, 'Dockerfile'))) ?? join(__dirname, 'mock-image');
}

/** `{ mocks: { payments: url } }` from the environment's URLs, or nothing when it runs no mock. */
export function mockUrls(urls: Record<string, string>, mocks: unknown): { mocks?: Record<string, string> } {
  const names = Array.isArray(mocks)
    ? (mocks as Array<{ name?: unknown }>).map((m) => m.name).filter((n): n is string => typeof n === 'string')
    : [];
  const out: Record<string, string> = {};
  for (const name of names) if (urls[mockServiceName(name)]) out[name] = urls[mockServiceName(name)];
  return names.length > 0 ? { mocks: out } : {};
}

/** Gives each `mocks` gate the spec's mocks, which it checks against the real APIs. */
export function attachMocks(pipeline: PipelineSpec, mocks: MockSpec[] | undefined): PipelineSpec {
  for (const stage of pipeline.stages)
    for (const gate of stage.gates) if (gate.kind === 'mocks') gate.mocks = mocks ?? [];
  return pipeline;
}

/** Gate problems: every mock a `mocks` gate names must be declared. */
export function mocksGateProblems(data: Record<string, unknown>): Problem[] {
  const declared = data.mocks && typeof data.mocks === 'object' ? Object.keys(data.mocks) : [];
  const stages = (data.pipeline as { stages?: unknown } | undefined)?.stages;
  const problems: Problem[] = [];
  (Array.isArray(stages) ? stages : []).forEach((stage: unknown, s) => {
    const gates = (stage as { gates?: unknown })?.gates;
    (Array.isArray(gates) ? gates : []).forEach((gate: unknown, g) => {
      const against = (gate as { mocks?: { against?: unknown } })?.mocks?.against;
      if (!against || typeof against !== 'object') return;
      for (const name of Object.keys(against)) {
        if (!declared.includes(name))
          problems.push({
            path: ['pipeline', 'stages', s, 'gates', g, 'mocks', 'against', name],
            at: 'key',
            message: `no mock "${name}" is declared under mocks:${declared.length ? ` (declared: ${declared.join(', ')})` : ''}`,
          });
      }
    });
  });
  return problems;
}
