/**
 * The `pipeline` section of `slipway.yaml`: the checks its schema cannot express (stage order,
 * unique names, time zones, ranges that end before they start) and its normalization into
 * `PipelineSpec`. Used by ./load.ts; like the rest of the loader, the checks run on raw data that
 * may not have passed the schema, so anything of an unexpected shape is left to the schema.
 *
 * In the YAML, a stage is a name or `{ name, dockerHost | context, tls, registry, gates }`; a gate is a kind name (all its
 * options at their defaults) or a mapping from one kind to its options, e.g.
 * `{ command: { run: npm test } }`.
 */
import { join, resolve } from 'node:path';
import type { GateKind, GateSpec, PipelineSpec, StageSpec } from './types';
import { normalizeStageRemote, onContext, stageRemoteProblems, type RawStageRemote } from './stage-remote';
import { parseDuration } from './units';
import { isTimeZone, parseAllowRange, parseWallTime, WALL_TIME_FORMAT, wallTimeValue } from './window';

/** The first stage: the per-branch preview environments, which nothing is promoted into. */
export const PREVIEW_STAGE = 'preview';

/**
 * Where a promotion goes, one stage at a time: from a branch (`from` undefined; branches run in
 * the first stage) to the second stage, from a stage to the one after it. Undefined from the
 * last stage, and from a stage the pipeline does not declare.
 */
export function nextStage(stages: readonly string[], from?: string): string | undefined {
  const index = from === undefined ? 0 : stages.indexOf(from);
  return index < 0 ? undefined : stages[index + 1];
}

const GATE_KINDS: ReadonlySet<string> = new Set<GateKind>([
  'health',
  'drift',
  'command',
  'vulnerabilities',
  'licenses',
  'coverage',
  'approval',
  'window',
  'checks',
  'mocks',
]);

const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_COVERAGE_SUMMARY = 'coverage/coverage-summary.json';
const DEFAULT_CHECKS_API = 'https://api.github.com';
const DEFAULT_TOKEN_ENV = 'GITHUB_TOKEN';

/** A problem at a path of the document; the loader turns it into a positioned `SpecIssue`. */
export interface PipelineProblem {
  path: Array<string | number>;
  at: 'key' | 'value' | 'owner';
  message: string;
}

// ---------------------------------------------------------------------------------------------
// The YAML shape, as accepted by the schema
// ---------------------------------------------------------------------------------------------

interface RawGateOptions {
  health: { name?: string };
  drift: { name?: string };
  command: { name?: string; run: string; timeout?: string; cwd?: string };
  vulnerabilities: {
    name?: string;
    report?: string;
    maxSeverity?: 'info' | 'low' | 'moderate' | 'high' | 'critical';
    cwd?: string;
  };
  licenses: { name?: string; allow?: string[]; deny?: string[]; cwd?: string };
  coverage: {
    name?: string;
    summary?: string;
    min: number;
    metric?: 'lines' | 'statements' | 'functions' | 'branches';
  };
  approval: { name?: string; count?: number; allowedSigners?: string };
  window: {
    name?: string;
    timezone: string;
    allow?: string[];
    freeze?: Array<{ from: string; to: string; reason?: string }>;
  };
  checks: { name?: string; repository: string; apiUrl?: string; tokenEnv?: string; required?: string[] };
  mocks: { name?: string; against: Record<string, string> };
}

/** A gate as written: a kind with no options, or a mapping with exactly one kind. */
type RawGate = string | { [K in GateKind]?: RawGateOptions[K] };
/** TLS of a tcp:// endpoint: off (only when written so), a certificate folder, or the three files. */
type RawTls = false | { certPath: string } | { ca: string; cert: string; key: string };
type RawStage =
  | string
  | ({
      name: string;
      dockerHost?: string;
      tls?: RawTls;
      seed?: 'same' | 'none';
      gates?: RawGate[];
      orchestrator?: 'containers' | 'swarm';
      replicas?: number;
      placement?: string[];
      rollout?: { strategy?: 'rolling' | 'start-first'; parallelism?: number; delay?: string; monitor?: string };
    } & RawStageRemote);
export interface RawPipeline {
  rulesFrom?: string;
  stages: RawStage[];
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/** Every problem of a (possibly not schema-valid) `pipeline` value. */
export function pipelineProblems(raw: unknown): PipelineProblem[] {
  if (!isRecord(raw) || !Array.isArray(raw.stages)) return [];
  const stages: unknown[] = raw.stages;
  return [
    ...stageOrderProblems(stages),
    ...stages.flatMap((stage, i) => endpointProblems(stage, i)),
    ...stages.flatMap((stage, i) => [...swarmOnlyProblems(stage, i), ...stageRemoteProblems(stage, i)]),
    ...stages.flatMap((stage, i) => {
      const gates = isRecord(stage) && Array.isArray(stage.gates) ? stage.gates : [];
      const name = stageName(stage) ?? `#${i + 1}`;
      const path = ['pipeline', 'stages', i, 'gates'];
      return [...gateNameProblems(name, gates, path), ...gates.flatMap((g, j) => windowProblems(g, [...path, j]))];
    }),
  ];
}

/** Unique stage names; `preview` first, with no gates. */
function stageOrderProblems(stages: unknown[]): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const seen = new Map<string, number>();
  stages.forEach((stage, i) => {
    const name = stageName(stage);
    if (name === undefined) return;
    const first = seen.get(name);
    if (first !== undefined) {
      const message = `stage "${name}" is already declared (pipeline.stages[${first}]); stage names must be unique`;
      problems.push({ path: stageNamePath(stage, i), at: 'value', message });
    } else {
      seen.set(name, i);
    }
  });
  const firstName = stageName(stages[0]);
  if (firstName !== undefined && firstName !== PREVIEW_STAGE) {
    const fix = seen.has(PREVIEW_STAGE)
      ? `move "${PREVIEW_STAGE}" to the top`
      : `add "- ${PREVIEW_STAGE}" before "${firstName}"`;
    const message = `the first stage must be "${PREVIEW_STAGE}" (the branch environments, which promotion starts from); ${fix}`;
    problems.push({ path: stageNamePath(stages[0], 0), at: 'value', message });
  }
  const previewGates = isRecord(stages[0]) ? stages[0].gates : undefined;
  if (firstName === PREVIEW_STAGE && Array.isArray(previewGates) && previewGates.length > 0) {
    const message = `"${PREVIEW_STAGE}" has no gates: branches enter it without promotion; put these gates on the next stage`;
    problems.push({ path: ['pipeline', 'stages', 0, 'gates'], at: 'key', message });
  }
  return problems;
}

/**
 * A tcp:// endpoint speaks TLS unless the stage turns it off in so many words (`tls: false`):
 * plain HTTP to a Docker Engine gives anyone on the network root on its host. `tls` means
 * nothing to a unix socket or to SSH.
 */
function endpointProblems(stage: unknown, index: number): PipelineProblem[] {
  if (!isRecord(stage)) return [];
  const host = stage.dockerHost;
  const tcp = typeof host === 'string' && host.startsWith('tcp://');
  const path = ['pipeline', 'stages', index];
  if (tcp && stage.tls === undefined) {
    const message =
      'a tcp:// endpoint needs TLS: add "tls: { certPath: FOLDER }" (with ca.pem, cert.pem and key.pem) or "tls: { ca: FILE, cert: FILE, key: FILE }" to this stage; ' +
      'only "tls: false" allows plain HTTP, which gives anyone who can reach the port control of that engine';
    return [{ path: [...path, 'dockerHost'], at: 'value', message }];
  }
  if (!tcp && stage.tls !== undefined && !onContext(stage) && (host === undefined || typeof host === 'string')) {
    const where =
      host === undefined
        ? 'this stage runs on the local engine'
        : "unix:// and ssh:// endpoints are secured by the socket's permissions and by SSH";
    const message = `"tls" applies to a tcp:// dockerHost only (${where}): remove it`;
    return [{ path: [...path, 'tls'], at: 'key', message }];
  }
  return [];
}

/** `replicas`, `placement` and `rollout` mean something on a Swarm stage only. */
function swarmOnlyProblems(stage: unknown, index: number): PipelineProblem[] {
  if (!isRecord(stage) || stage.orchestrator === 'swarm') return [];
  return ['replicas', 'placement', 'rollout']
    .filter((key) => stage[key] !== undefined)
    .map((key) => ({
      path: ['pipeline', 'stages', index, key],
      at: 'key' as const,
      message: `"${key}" applies to a Swarm stage only: add "orchestrator: swarm" to this stage, or remove it`,
    }));
}

function stageName(stage: unknown): string | undefined {
  if (typeof stage === 'string') return stage;
  return isRecord(stage) && typeof stage.name === 'string' ? stage.name : undefined;
}

function stageNamePath(stage: unknown, index: number): Array<string | number> {
  return typeof stage === 'string' ? ['pipeline', 'stages', index] : ['pipeline', 'stages', index, 'name'];
}

/** Gate names are unique within a stage; the second gate with a name is reported. */
function gateNameProblems(stage: string, gates: unknown[], path: Array<string | number>): PipelineProblem[] {
  const problems: PipelineProblem[] = [];
  const seen = new Map<string, number>();
  gates.forEach((gate, j) => {
    const named = gateName(gate);
    if (!named) return;
    const first = seen.get(named.name);
    if (first === undefined) {
      seen.set(named.name, j);
      return;
    }
    const where = named.explicit ? [...path, j, named.kind, 'name'] : [...path, j];
    const message =
      `gate name "${named.name}" is already used in stage "${stage}" (gates[${first}]); ` +
      `give one of them its own name, e.g. { ${named.kind}: { name: ${named.name}-2 } }`;
    problems.push({ path: where, at: 'value', message });
  });
  return problems;
}

/** The kind and name of a raw gate, and whether the name was written; undefined for a gate of no known kind. */
function gateName(gate: unknown): { kind: string; name: string; explicit: boolean } | undefined {
  if (typeof gate === 'string') return GATE_KINDS.has(gate) ? { kind: gate, name: gate, explicit: false } : undefined;
  if (!isRecord(gate) || Object.keys(gate).length !== 1) return undefined;
  const [kind, options] = Object.entries(gate)[0];
  if (!GATE_KINDS.has(kind)) return undefined;
  const name = isRecord(options) && typeof options.name === 'string' ? options.name : undefined;
  return { kind, name: name ?? kind, explicit: name !== undefined };
}

/** A window's time zone must exist, and its ranges and freezes must end after they start. */
function windowProblems(gate: unknown, path: Array<string | number>): PipelineProblem[] {
  const options = isRecord(gate) && isRecord(gate.window) ? gate.window : undefined;
  if (!options) return [];
  const at = [...path, 'window'];
  const problems: PipelineProblem[] = [];
  if (typeof options.timezone === 'string' && options.timezone !== '' && !isTimeZone(options.timezone)) {
    const message = `unknown time zone "${options.timezone}": use an IANA time zone such as Europe/Berlin, America/New_York or UTC`;
    problems.push({ path: [...at, 'timezone'], at: 'value', message });
  }
  const allow = Array.isArray(options.allow) ? options.allow : [];
  allow.forEach((entry, k) => {
    const range = typeof entry === 'string' ? parseAllowRange(entry) : undefined;
    if (!range || range.startMinute < range.endMinute) return;
    const message =
      `range "${entry}" ends before it starts; split a range across midnight in two, ` +
      'e.g. "Mon 22:00-24:00" and "Tue 00:00-02:00"';
    problems.push({ path: [...at, 'allow', k], at: 'value', message });
  });
  const freeze = Array.isArray(options.freeze) ? options.freeze : [];
  freeze.forEach((entry, k) => problems.push(...freezeProblems(entry, [...at, 'freeze', k])));
  return problems;
}

function freezeProblems(entry: unknown, path: Array<string | number>): PipelineProblem[] {
  if (!isRecord(entry)) return [];
  const times: Record<'from' | 'to', number | undefined> = { from: undefined, to: undefined };
  const problems: PipelineProblem[] = [];
  for (const key of ['from', 'to'] as const) {
    const text = entry[key];
    // Text of the wrong form is the schema's to report; a well-formed but impossible date is ours.
    if (typeof text !== 'string' || !WALL_TIME_FORMAT.test(text)) continue;
    const time = parseWallTime(text);
    if (time) times[key] = wallTimeValue(time);
    else problems.push({ path: [...path, key], at: 'value', message: `"${text}" is not a real date and time` });
  }
  if (times.from !== undefined && times.to !== undefined && times.to <= times.from) {
    const message = `the freeze ends ("${String(entry.to)}") before it starts ("${String(entry.from)}")`;
    problems.push({ path: [...path, 'to'], at: 'value', message });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Normalization (only for a spec with no issues)
// ---------------------------------------------------------------------------------------------

/** The normalized pipeline; relative paths resolve against `dir`, the folder of slipway.yaml. */
export function normalizePipeline(raw: RawPipeline, dir: string): PipelineSpec {
  const stages = raw.stages.map((stage) => normalizeStage(stage, dir));
  return raw.rulesFrom === undefined ? { stages } : { rulesFrom: raw.rulesFrom, stages };
}

function normalizeStage(raw: RawStage, dir: string): StageSpec {
  if (typeof raw === 'string') return { name: raw, gates: [] };
  const stage: StageSpec = { name: raw.name, gates: (raw.gates ?? []).map((gate) => normalizeGate(gate, dir)) };
  if (raw.dockerHost !== undefined) stage.dockerHost = withTls(raw.dockerHost, raw.tls, dir);
  if (raw.orchestrator === 'swarm') {
    stage.swarm = {
      replicas: raw.replicas ?? 1,
      placement: (raw.placement ?? []).map((c) => c.replace(/\s+/g, '')),
      rollout: {
        order: raw.rollout?.strategy === 'start-first' ? 'start-first' : 'stop-first',
        parallelism: raw.rollout?.parallelism ?? 1,
        delayMs: parseDuration(raw.rollout?.delay ?? '0s'),
        monitorMs: parseDuration(raw.rollout?.monitor ?? '5s'),
      },
    };
  }
  if (raw.seed !== undefined) stage.seed = raw.seed;
  normalizeStageRemote(raw, stage);
  return stage;
}

/**
 * A tcp:// endpoint with its TLS choice, as the connection reads it (docker/endpoint.ts): the
 * Docker CLI's flag names as query parameters, paths absolute; `tls=false` for plain HTTP.
 */
function withTls(dockerHost: string, tls: RawTls | undefined, dir: string): string {
  if (!dockerHost.startsWith('tcp://') || tls === undefined) return dockerHost;
  const base = dockerHost.replace(/\/$/, '');
  if (tls === false) return `${base}?tls=false`;
  const files =
    'certPath' in tls
      ? {
          ca: join(resolve(dir, tls.certPath), 'ca.pem'),
          cert: join(resolve(dir, tls.certPath), 'cert.pem'),
          key: join(resolve(dir, tls.certPath), 'key.pem'),
        }
      : { ca: resolve(dir, tls.ca), cert: resolve(dir, tls.cert), key: resolve(dir, tls.key) };
  const query = new URLSearchParams({ tlscacert: files.ca, tlscert: files.cert, tlskey: files.key });
  return `${base}?${query.toString()}`;
}

/** Where the approvers' keys are listed when an approval gate names no file. */
export const DEFAULT_ALLOWED_SIGNERS = 'allowed_signers';

function normalizeGate(raw: RawGate, dir: string): GateSpec {
  // A bare kind is that kind with every option at its default (the schema allows it only for kinds with no required option).
  const gate = (typeof raw === 'string' ? { [raw]: {} } : raw) as Exclude<RawGate, string>;
  const at = (path: string | undefined): string | undefined => (path === undefined ? undefined : resolve(dir, path));
  const { health, drift, command, vulnerabilities, licenses, coverage, approval, window, checks, mocks } = gate;
  if (health) return { kind: 'health', name: health.name ?? 'health' };
  if (drift) return { kind: 'drift', name: drift.name ?? 'drift' };
  if (command) {
    const timeoutMs = command.timeout !== undefined ? parseDuration(command.timeout) : DEFAULT_COMMAND_TIMEOUT_MS;
    return withoutUndefined({
      kind: 'command',
      name: command.name ?? 'command',
      run: command.run,
      timeoutMs,
      cwd: at(command.cwd),
    });
  }
  if (vulnerabilities) {
    const { name = 'vulnerabilities', report, maxSeverity = 'high', cwd } = vulnerabilities;
    return withoutUndefined({ kind: 'vulnerabilities', name, report: at(report), maxSeverity, cwd: at(cwd) });
  }
  if (licenses) {
    const { name = 'licenses', allow = [], deny = [], cwd } = licenses;
    return withoutUndefined({ kind: 'licenses', name, allow, deny, cwd: at(cwd) });
  }
  if (coverage) {
    const { name = 'coverage', summary = DEFAULT_COVERAGE_SUMMARY, min, metric = 'lines' } = coverage;
    return { kind: 'coverage', name, summary: resolve(dir, summary), min, metric };
  }
  if (approval)
    return {
      kind: 'approval',
      name: approval.name ?? 'approval',
      count: approval.count ?? 1,
      allowedSigners: resolve(dir, approval.allowedSigners ?? DEFAULT_ALLOWED_SIGNERS),
    };
  if (window) {
    const { name = 'window', timezone, allow = [], freeze = [] } = window;
    return { kind: 'window', name, timezone, allow, freeze: freeze.map((f) => ({ ...f })) };
  }
  if (checks) {
    const {
      name = 'checks',
      repository,
      apiUrl = DEFAULT_CHECKS_API,
      tokenEnv = DEFAULT_TOKEN_ENV,
      required = [],
    } = checks;
    return { kind: 'checks', name, repository, apiUrl: apiUrl.replace(/\/+$/, ''), tokenEnv, required };
  }
  if (mocks) return { kind: 'mocks', name: mocks.name ?? 'mocks', against: { ...mocks.against }, mocks: [] };
  throw new Error(`unknown gate ${JSON.stringify(raw)}`); // unreachable: the schema checked the kind
}

/** The object without its undefined properties, so that optional fields are absent rather than undefined. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
