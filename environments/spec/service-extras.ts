/**
 * The service fields Docker Compose users reach for: build args, env_file, secrets, volumes and
 * depends_on. Their checks (run with the loader's other checks), their normalized form, the
 * start order they give, and reading env files and secrets when an environment comes up.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { SlipwayError } from '../errors';
import type { ServiceMount, ServiceSpec } from './types';

type Path = ReadonlyArray<string | number>;
interface Problem {
  path: Path;
  at: 'key' | 'value' | 'owner';
  message: string;
}

export interface RawExtras {
  build?: string | { context: string; dockerfile?: string; args?: Record<string, string | number | boolean> };
  env_file?: string | string[];
  secrets?: Record<string, { env?: string; file?: string }>;
  volumes?: string[];
  depends_on?: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const NAMED_VOLUME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** A path written in the spec, resolved from its folder; undefined when it leaves that folder. */
export function insideProject(dir: string, written: string): string | undefined {
  const abs = resolve(dir, written);
  const rel = relative(dir, abs);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel)) ? abs : undefined;
}

function fileProblem(dir: string, written: string, path: Path, what: string): Problem | undefined {
  const abs = insideProject(dir, written);
  if (!abs)
    return {
      path,
      at: 'value',
      message: `${what} "${written}" is outside the project folder ${dir}; only files inside it can be used`,
    };
  if (!existsSync(abs) || !statSync(abs).isFile())
    return { path, at: 'value', message: `${what} "${written}" not found: ${abs} is not a file` };
  return undefined;
}

/** One mount as written (`data:/var/lib/x`, `./conf:/etc/app:ro`). */
export function parseMount(text: string, dir: string): ServiceMount | { error: string } {
  const [source, target, mode] = text.split(':');
  const readOnly = mode === 'ro';
  if (/^[.~/]/.test(source)) {
    if (source.startsWith('~') || isAbsolute(source))
      return {
        error: `bind mount "${source}" is not inside the project folder: write it as ./relative/path (bind mounts outside ${dir} are refused)`,
      };
    const abs = insideProject(dir, source);
    if (!abs)
      return {
        error: `bind mount "${source}" leaves the project folder ${dir}; only folders and files inside it can be mounted`,
      };
    if (!existsSync(abs)) return { error: `bind mount "${source}" not found: ${abs} does not exist` };
    return { source: abs, target, readOnly };
  }
  if (!NAMED_VOLUME.test(source))
    return {
      error: `volume name "${source}" must start with a letter or digit, then letters, digits, '_', '.' or '-'`,
    };
  return { volume: source, target, readOnly };
}

/** What the schema cannot check of these fields: files and folders, names, and depends_on cycles. */
export function extraProblems(
  services: Record<string, unknown>,
  databases: Record<string, unknown>,
  dir: string,
): Problem[] {
  const problems: Problem[] = [];
  const edges = new Map<string, string[]>();
  for (const [name, raw] of Object.entries(services)) {
    if (!isRecord(raw)) continue;
    const at = (...rest: Array<string | number>): Path => ['services', name, ...rest];
    const files = typeof raw.env_file === 'string' ? [raw.env_file] : Array.isArray(raw.env_file) ? raw.env_file : [];
    files.forEach((f, i) => {
      if (typeof f !== 'string') return;
      const p = fileProblem(dir, f, typeof raw.env_file === 'string' ? at('env_file') : at('env_file', i), 'env_file');
      if (p) problems.push(p);
    });
    if (isRecord(raw.secrets)) {
      for (const [variable, from] of Object.entries(raw.secrets)) {
        if (isRecord(from) && typeof from.file === 'string') {
          const p = fileProblem(dir, from.file, at('secrets', variable, 'file'), 'secret file');
          if (p) problems.push(p);
        }
        if (isRecord(raw.env) && Object.hasOwn(raw.env, variable)) {
          problems.push({
            path: at('secrets', variable),
            at: 'key',
            message: `${variable} is set both in env and in secrets; keep one`,
          });
        }
      }
    }
    if (Array.isArray(raw.volumes)) {
      const targets = new Set<string>();
      raw.volumes.forEach((v, i) => {
        if (typeof v !== 'string' || !/^[^:\s]+:\/[^:\s]*(:(ro|rw))?$/.test(v)) return;
        const m = parseMount(v, dir);
        if ('error' in m) problems.push({ path: at('volumes', i), at: 'value', message: m.error });
        else if (targets.has(m.target))
          problems.push({ path: at('volumes', i), at: 'value', message: `${m.target} is mounted twice in ${name}` });
        else targets.add(m.target);
      });
    }
    if (Array.isArray(raw.depends_on)) {
      const next: string[] = [];
      raw.depends_on.forEach((d, i) => {
        if (typeof d !== 'string') return;
        if (d === name)
          problems.push({ path: at('depends_on', i), at: 'value', message: `${name} cannot depend on itself` });
        else if (Object.hasOwn(services, d)) next.push(d);
        else if (!Object.hasOwn(databases, d)) {
          const known = [...Object.keys(services), ...Object.keys(databases)].filter((n) => n !== name);
          problems.push({
            path: at('depends_on', i),
            at: 'value',
            message: `"${d}" is not a service or database of this spec (it has ${known.join(', ') || 'no other'})`,
          });
        }
      });
      edges.set(name, next);
    }
  }
  for (const cycle of dependencyCycles(edges)) {
    problems.push({
      path: ['services', cycle[0], 'depends_on'],
      at: 'key',
      message: `depends_on goes round in a circle: ${[...cycle, cycle[0]].join(' -> ')}`,
    });
  }
  return problems;
}

function dependencyCycles(edges: Map<string, string[]>): string[][] {
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (n: string): void => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      cycles.push(stack.slice(stack.indexOf(n)));
      return;
    }
    state.set(n, 'open');
    stack.push(n);
    for (const m of edges.get(n) ?? []) visit(m);
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of edges.keys()) visit(n);
  return cycles;
}

/** The normalized extras of one service (of a spec with no issues). */
export function normalizeExtras(
  raw: RawExtras,
  dir: string,
  databases: string[],
): Pick<ServiceSpec, 'envFiles' | 'secrets' | 'mounts'> & {
  buildArgs?: Record<string, string>;
  after: { services: string[]; databases: string[] };
} {
  const out: ReturnType<typeof normalizeExtras> = { after: { services: [], databases: [] } };
  if (isRecord(raw.build) && raw.build.args)
    out.buildArgs = Object.fromEntries(Object.entries(raw.build.args).map(([k, v]) => [k, String(v)]));
  const files = typeof raw.env_file === 'string' ? [raw.env_file] : (raw.env_file ?? []);
  if (files.length) {
    out.envFiles = files.map((f) => {
      const path = resolve(dir, f);
      return { path, hash: createHash('sha256').update(readFileSync(path)).digest('hex') };
    });
  }
  if (raw.secrets)
    out.secrets = Object.entries(raw.secrets).map(([name, from]) =>
      from.env !== undefined ? { name, env: from.env } : { name, file: resolve(dir, from.file!) },
    );
  if (raw.volumes?.length) out.mounts = raw.volumes.map((v) => parseMount(v, dir) as ServiceMount);
  for (const d of raw.depends_on ?? []) (databases.includes(d) ? out.after.databases : out.after.services).push(d);
  return out;
}

/** Services in an order that starts each after the services it depends on (declaration order otherwise). */
export function startOrder(services: ServiceSpec[]): ServiceSpec[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const done = new Set<string>();
  const out: ServiceSpec[] = [];
  const place = (s: ServiceSpec, seen: Set<string>): void => {
    if (done.has(s.name) || seen.has(s.name)) return;
    seen.add(s.name);
    for (const d of s.dependsOn.services) {
      const dep = byName.get(d);
      if (dep) place(dep, seen);
    }
    done.add(s.name);
    out.push(s);
  };
  for (const s of services) place(s, new Set());
  return out;
}

/** KEY=VALUE lines as Docker Compose reads an env_file: comments, blank lines, optional quotes and `export`. */
export function parseEnvFile(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s*export\s+/, '').trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    const q = value[0];
    if ((q === '"' || q === "'") && value.lastIndexOf(q) > 0) {
      value = value.slice(1, value.lastIndexOf(q));
      if (q === '"') value = value.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    } else value = value.replace(/\s+#.*$/, '');
    out.push([key, value]);
  }
  return out;
}

/**
 * The service's secret variables (its env files' and its `secrets`), read now: `KEY=value`
 * strings. A secret whose variable is unset or whose file is gone stops the operation, naming it.
 */
export function readSecretEnv(svc: ServiceSpec, specFile: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const out = new Map<string, string>();
  const fail = (what: string, hint: string) =>
    new SlipwayError('spec-invalid', `${specFile}: services.${svc.name}: ${what}.`, { hint });
  for (const f of svc.envFiles ?? []) {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (err) {
      throw fail(
        `env_file ${f.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'Restore the file, or remove it from env_file.',
      );
    }
    for (const [k, v] of parseEnvFile(text)) out.set(k, v);
  }
  for (const s of svc.secrets ?? []) {
    if (s.env !== undefined) {
      const v = env[s.env];
      if (v === undefined)
        throw fail(
          `secret ${s.name} comes from the environment variable ${s.env}, which is not set`,
          `Set ${s.env} where Slipway runs (a CI secret, or your shell), then run the command again.`,
        );
      out.set(s.name, v);
    } else {
      try {
        out.set(s.name, readFileSync(s.file!, 'utf8').replace(/\r?\n$/, ''));
      } catch (err) {
        throw fail(
          `secret ${s.name} comes from ${s.file}, which cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
          'Create the file (keep it out of git), then run the command again.',
        );
      }
    }
  }
  return [...out].map(([k, v]) => `${k}=${v}`);
}

/** A digest of every service's secret values, so a changed secret changes the program's fingerprint. */
export function secretsDigest(services: ServiceSpec[], specFile: string): string {
  const h = createHash('sha256');
  for (const s of services) h.update(`${s.name}\0${readSecretEnv(s, specFile).join('\0')}\0`);
  return h.digest('hex');
}
