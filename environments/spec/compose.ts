/**
 * A Docker Compose file turned into a slipway.yaml: services, builds, images, ports, env and
 * env_file, depends_on, health checks, volumes, resource limits, and PostgreSQL services as
 * databases; everything else is listed as not mapped, with its line in the compose file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { SlipwayError } from '../errors';
import {
  composeDuration,
  composeMemory,
  containerPort,
  interpolate,
  keyValues,
  shellWords,
  slipwayDuration,
  slipwayName,
  type Vars,
} from './compose-values';
import { insideProject, parseEnvFile } from './service-extras';

/** Something of the compose file that the spec does not carry, and where it is. */
export interface Unmapped {
  /** 1-based line in the compose file. */
  line: number;
  /** Dotted path in the compose file, e.g. `services.web.entrypoint`. */
  field: string;
  reason: string;
}

export interface ComposeDraft {
  /** The spec as a plain object (what slipway.yaml holds). */
  spec: Record<string, unknown>;
  unmapped: Unmapped[];
  /** Notes on what was mapped in a way worth checking (a database URL replaced, a renamed service). */
  notes: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Service keys that Slipway handles its own way, so dropping them loses nothing. */
const HANDLED_ELSEWHERE = new Set([
  'restart',
  'container_name',
  'expose',
  'networks',
  'init',
  'hostname',
  'labels',
  'stop_grace_period',
  'stop_signal',
  'logging',
  'pull_policy',
  'platform',
]);
/** An image whose last path part is postgres (`postgres:16`, `docker.io/library/postgres`, `slipway/postgres:15`); its tag. */
const POSTGRES_IMAGE = /^(?:[^\s]*\/)?postgres(?::([^@/]+))?(?:@.*)?$/;

export function composeToSpec(text: string, file: string, projectName?: string): ComposeDraft {
  const dir = dirname(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const at = e.linePos?.[0];
    throw new SlipwayError(
      'spec-invalid',
      `${file}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${e.message.split('\n')[0]}`,
      {
        hint: 'Fix the compose file (docker compose config shows its errors), then run slipway init again.',
      },
    );
  }
  const root = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (!isObj(root) || !isObj(root.services)) {
    throw new SlipwayError(
      'spec-invalid',
      `${file}: has no services mapping, so it is not a Compose file Slipway can start from.`,
      {
        hint: 'Point --compose at the file that declares services:, or write slipway.yaml by hand.',
      },
    );
  }
  const m = new Mapper(doc, lines, dir, readDotEnv(dir));
  return m.run(root, projectName ?? slipwayName(typeof root.name === 'string' ? root.name : basename(dir)));
}

/** The `.env` beside the compose file: Compose's default source of interpolation values. */
function readDotEnv(dir: string): Vars {
  const file = join(dir, '.env');
  return existsSync(file) ? Object.fromEntries(parseEnvFile(readFileSync(file, 'utf8'))) : {};
}

class Mapper {
  readonly unmapped: Unmapped[] = [];
  readonly notes: string[] = [];
  private names = new Map<string, string>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly dir: string,
    private readonly vars: Vars,
  ) {}

  line(path: Array<string | number>): number {
    for (let p = path; p.length; p = p.slice(0, -1)) {
      const node = this.doc.getIn(p, true) as { range?: [number, number] } | undefined;
      const pair = p.length ? this.keyNode(p) : undefined;
      const offset = pair ?? node?.range?.[0];
      if (offset !== undefined) return this.lines.linePos(offset).line;
    }
    return 1;
  }

  private keyNode(path: Array<string | number>): number | undefined {
    const parent = path.length > 1 ? this.doc.getIn(path.slice(0, -1), true) : this.doc.contents;
    const items = (parent as { items?: Array<{ key?: { value?: unknown; range?: [number, number] } }> } | undefined)
      ?.items;
    const key = items?.find((i) => i.key && String(i.key.value) === String(path[path.length - 1]))?.key;
    return key?.range?.[0];
  }

  skip(path: Array<string | number>, reason: string): void {
    this.unmapped.push({ line: this.line(path), field: path.join('.'), reason });
  }

  /** Interpolated as Compose does; a variable with no value is listed (unless `quiet`: the value is replaced anyway). */
  str(value: unknown, path: Array<string | number>, quiet = false): string {
    const { text, missing } = interpolate(String(value), this.vars);
    if (!quiet)
      for (const v of missing) this.skip(path, `\${${v}} has no value in .env and no default; it was left empty`);
    return text;
  }

  run(root: Obj, name: string): ComposeDraft {
    for (const key of Object.keys(root)) {
      if (
        key === 'services' ||
        key === 'volumes' ||
        key === 'secrets' ||
        key === 'name' ||
        key === 'version' ||
        key.startsWith('x-')
      )
        continue;
      this.skip(
        [key],
        key === 'networks'
          ? 'Slipway puts every service on one network of its own, where each is reached by its name'
          : `top-level ${key} is not mapped`,
      );
    }
    const services = root.services as Obj;
    const volumes = isObj(root.volumes) ? root.volumes : {};
    for (const [v, decl] of Object.entries(volumes)) {
      if (isObj(decl) && (decl.external || decl.driver || decl.driver_opts))
        this.skip(
          ['volumes', v],
          'external volumes and volume drivers are not mapped; Slipway makes a fresh local volume per environment',
        );
    }
    const secrets = isObj(root.secrets) ? root.secrets : {};
    const databases: Obj = {};
    const out: Obj = {};
    const dbNames = new Set<string>();
    for (const key of Object.keys(services)) {
      const n = slipwayName(key);
      if (n !== key)
        this.notes.push(
          `service ${key} is named ${n} in slipway.yaml (Slipway names are lowercase letters, digits and '-'); other services reach it as ${n}`,
        );
      this.names.set(key, n);
      const svc = services[key];
      if (
        isObj(svc) &&
        !svc.build &&
        typeof svc.image === 'string' &&
        POSTGRES_IMAGE.test(this.str(svc.image, ['services', key, 'image']))
      )
        dbNames.add(key);
    }
    const dbInfo = new Map<string, { password?: string; user: string; database: string }>();
    for (const key of dbNames) {
      const { db, info } = this.database(key, services[key] as Obj);
      databases[this.names.get(key)!] = db;
      dbInfo.set(key, info);
    }
    for (const [key, svc] of Object.entries(services)) {
      if (dbNames.has(key)) continue;
      if (!isObj(svc)) {
        this.skip(['services', key], 'not a mapping');
        continue;
      }
      const mapped = this.service(key, svc, volumes, secrets, dbInfo);
      if (mapped) out[this.names.get(key)!] = mapped;
    }
    const spec: Obj = { version: 1, name, services: out };
    if (Object.keys(databases).length) spec.databases = databases;
    return { spec, unmapped: this.unmapped.sort((a, b) => a.line - b.line), notes: this.notes };
  }

  /** A PostgreSQL service as a database: same name, user and database, a password of its own per environment. */
  private database(key: string, svc: Obj): { db: Obj; info: { password?: string; user: string; database: string } } {
    const at = (...p: Array<string | number>) => ['services', key, ...p];
    const env = new Map(
      keyValues(svc.environment).map(([k, v]) => [
        k,
        v === null ? undefined : this.str(v, at('environment', k), k === 'POSTGRES_PASSWORD'),
      ]),
    );
    const image = this.str(svc.image, at('image'));
    const tag = POSTGRES_IMAGE.exec(image)?.[1] ?? 'latest';
    const major = /^(\d+)/.exec(tag)?.[1];
    const user = env.get('POSTGRES_USER') || 'postgres';
    const database = env.get('POSTGRES_DB') || user;
    const db: Obj = { engine: 'postgres', version: major ?? '16', image, user, database };
    if (!major) this.skip(at('image'), `the PostgreSQL version of ${image} is not a number; version 16 was written`);
    const limits = this.resources(key, svc);
    if (limits) db.resources = limits;
    const n = this.names.get(key)!;
    this.notes.push(
      `${key} (${image}) is the database ${n}: Slipway makes its data volume and a new password per environment (\${{ databases.${n}.url }}, \${{ databases.${n}.password }})`,
    );
    for (const k of Object.keys(svc)) {
      if (
        ['image', 'environment', 'ports', 'volumes', 'healthcheck', 'deploy', 'cpus', 'mem_limit', 'command'].includes(
          k,
        ) ||
        HANDLED_ELSEWHERE.has(k)
      )
        continue;
      this.skip(at(k), `${k} of a PostgreSQL service is not mapped (Slipway runs the database itself)`);
    }
    for (const k of env.keys())
      if (!['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD', 'PGDATA'].includes(k))
        this.skip(at('environment', k), `${k} of the database service is not mapped`);
    return { db, info: { password: env.get('POSTGRES_PASSWORD'), user, database } };
  }

  private service(
    key: string,
    svc: Obj,
    volumes: Obj,
    secrets: Obj,
    dbs: Map<string, { password?: string; user: string; database: string }>,
  ): Obj | undefined {
    const at = (...p: Array<string | number>) => ['services', key, ...p];
    const out: Obj = {};
    if (svc.build !== undefined) out.build = this.build(key, svc.build);
    else if (typeof svc.image === 'string') out.image = this.str(svc.image, at('image'));
    else {
      this.skip(at(), 'a service with neither build nor image cannot run; it was left out');
      return undefined;
    }
    if (svc.command !== undefined && svc.command !== null) {
      out.command = Array.isArray(svc.command)
        ? svc.command.map((c, i) => this.str(c, at('command', i)))
        : shellWords(this.str(svc.command, at('command')));
    }
    const ports: number[] = [];
    (Array.isArray(svc.ports) ? svc.ports : []).forEach((p, i) => {
      const port = containerPort(typeof p === 'string' ? this.str(p, at('ports', i)) : p);
      if (typeof port === 'number') {
        if (!ports.includes(port)) ports.push(port);
      } else this.skip(at('ports', i), port.reason);
    });
    if (ports.length) out.ports = ports;
    const { env, secretVars } = this.environment(key, svc, dbs);
    if (svc.env_file !== undefined) {
      const files = (Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file]).flatMap((f, i) => {
        const path = isObj(f) ? String(f.path) : String(f);
        const where = Array.isArray(svc.env_file) ? at('env_file', i) : at('env_file');
        const required = !isObj(f) || f.required !== false;
        if (!insideProject(this.dir, path)) {
          this.skip(where, `env_file ${path} is outside the project folder, which Slipway does not read`);
          return [];
        }
        if (!existsSync(join(this.dir, path))) {
          if (required)
            this.skip(where, `env_file ${path} does not exist; create it, then add it to env_file in slipway.yaml`);
          return [];
        }
        return [path];
      });
      if (files.length) out.env_file = files.length === 1 ? files[0] : files;
    }
    if (Object.keys(env).length) out.env = env;
    const secretMap: Obj = Object.fromEntries(secretVars.map((v) => [v, { env: v }]));
    const mounts = this.volumes(key, svc, volumes);
    (Array.isArray(svc.secrets) ? svc.secrets : []).forEach((s, i) => {
      const name = isObj(s) ? String(s.source) : String(s);
      const decl = secrets[name];
      const target =
        isObj(s) && typeof s.target === 'string'
          ? s.target.startsWith('/')
            ? s.target
            : `/run/secrets/${s.target}`
          : `/run/secrets/${name}`;
      if (
        isObj(decl) &&
        typeof decl.file === 'string' &&
        insideProject(this.dir, decl.file) &&
        existsSync(join(this.dir, decl.file))
      ) {
        mounts.push(`${decl.file.startsWith('.') ? decl.file : `./${decl.file}`}:${target}:ro`);
      } else
        this.skip(
          at('secrets', i),
          `secret ${name} is not a file inside the project folder; give it to the service in slipway.yaml's secrets ({ env: VAR } or { file: PATH })`,
        );
    });
    if (Object.keys(secretMap).length) out.secrets = secretMap;
    if (mounts.length) out.volumes = mounts;
    const after = this.dependsOn(key, svc);
    if (after.length) out.depends_on = after;
    const health = this.healthcheck(key, svc);
    if (health) out.healthcheck = health;
    const limits = this.resources(key, svc);
    if (limits) out.resources = limits;
    for (const k of Object.keys(svc)) {
      if (
        [
          'build',
          'image',
          'command',
          'ports',
          'environment',
          'env_file',
          'secrets',
          'volumes',
          'depends_on',
          'healthcheck',
          'deploy',
          'cpus',
          'mem_limit',
        ].includes(k) ||
        HANDLED_ELSEWHERE.has(k)
      )
        continue;
      this.skip(at(k), `${k} is not mapped`);
    }
    return out;
  }

  private build(key: string, build: unknown): unknown {
    const at = (...p: Array<string | number>) => ['services', key, 'build', ...p];
    if (!isObj(build)) return this.str(build, at());
    const out: Obj = { context: this.str(build.context ?? '.', at('context')) };
    if (build.dockerfile !== undefined) out.dockerfile = this.str(build.dockerfile, at('dockerfile'));
    const args = keyValues(build.args).flatMap(([k, v]) =>
      v === null
        ? (this.skip(
            at('args', k),
            `build arg ${k} takes its value from the shell, which slipway.yaml does not; set it here`,
          ),
          [])
        : [[k, this.str(v, at('args', k))]],
    );
    if (args.length) out.args = Object.fromEntries(args);
    for (const k of Object.keys(build))
      if (!['context', 'dockerfile', 'args'].includes(k)) this.skip(at(k), `build ${k} is not mapped`);
    return out.dockerfile === undefined && !out.args ? out.context : out;
  }

  /** The env, with references to a PostgreSQL service replaced by the database's own values; variables taken from the shell become secrets. */
  private environment(
    key: string,
    svc: Obj,
    dbs: Map<string, { password?: string; user: string; database: string }>,
  ): { env: Obj; secretVars: string[] } {
    const env: Obj = {};
    const secretVars: string[] = [];
    for (const [k, raw] of keyValues(svc.environment)) {
      const path = ['services', key, 'environment', k];
      if (raw === null) {
        secretVars.push(k);
        continue;
      }
      const whole = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/.exec(raw);
      if (whole && !Object.hasOwn(this.vars, whole[1])) {
        // A value from the shell with no default: a secret read where Slipway runs.
        secretVars.push(k);
        if (whole[1] !== k)
          this.skip(
            path,
            `${k} came from the shell's ${whole[1]}; it is now the secret ${k}, read from the variable ${k} where Slipway runs`,
          );
        continue;
      }
      let value = this.str(raw, path, true);
      const asWritten = value;
      for (const [dbKey, info] of dbs) {
        const dbName = this.names.get(dbKey)!;
        if (new RegExp(`^postgres(?:ql)?://[^@/]*@${dbKey.replace(/[.]/g, '\\.')}(?::5432)?(?:/|$)`).test(value)) {
          value = `\${{ databases.${dbName}.url }}`;
          this.notes.push(`${key}'s ${k} is the database URL of ${dbName} (\${{ databases.${dbName}.url }})`);
        } else if (info.password && value === info.password) {
          value = `\${{ databases.${dbName}.password }}`;
          this.notes.push(`${key}'s ${k} is the password of ${dbName} (\${{ databases.${dbName}.password }})`);
        }
      }
      if (value === asWritten) this.str(raw, path);
      env[k] = value;
    }
    return { env, secretVars };
  }

  private volumes(key: string, svc: Obj, declared: Obj): string[] {
    const out: string[] = [];
    (Array.isArray(svc.volumes) ? svc.volumes : []).forEach((v, i) => {
      const at = ['services', key, 'volumes', i];
      let source: string | undefined;
      let target: string | undefined;
      let ro: boolean;
      if (isObj(v)) {
        if (v.type !== undefined && v.type !== 'volume' && v.type !== 'bind')
          return this.skip(at, `${String(v.type)} mounts are not mapped`);
        source = v.source === undefined ? undefined : this.str(v.source, at);
        target = String(v.target);
        ro = v.read_only === true;
      } else {
        const parts = this.str(v, at).split(':');
        if (parts.length === 1) target = parts[0];
        else [source, target] = parts;
        ro = parts[2]?.split(',').includes('ro') ?? false;
      }
      if (!source) return this.skip(at, 'anonymous volumes are not mapped; name the volume (NAME:/path) to keep it');
      if (/^[.~/]/.test(source)) {
        if (source.startsWith('~') || source.startsWith('/') || !insideProject(this.dir, source))
          return this.skip(
            at,
            `bind mount ${source} is outside the project folder; Slipway mounts only folders inside it`,
          );
        if (!existsSync(join(this.dir, source))) return this.skip(at, `bind mount ${source} does not exist`);
      } else if (!Object.hasOwn(declared, source))
        this.notes.push(
          `volume ${source} of ${key} is not declared under volumes: it is made per environment all the same`,
        );
      out.push(`${source}:${target}${ro ? ':ro' : ''}`);
    });
    return out;
  }

  private dependsOn(key: string, svc: Obj): string[] {
    const d = svc.depends_on;
    const entries: Array<[string, unknown]> = Array.isArray(d)
      ? d.map((n) => [String(n), undefined])
      : isObj(d)
        ? Object.entries(d)
        : [];
    const out: string[] = [];
    for (const [name, cond] of entries) {
      const condition = isObj(cond) ? cond.condition : undefined;
      if (condition === 'service_completed_successfully') {
        this.skip(
          ['services', key, 'depends_on', name],
          `waiting for ${name} to complete is not mapped: Slipway runs services that keep running; ${key} starts after ${name} has started`,
        );
      }
      const mapped = this.names.get(name);
      if (mapped) out.push(mapped);
      else this.skip(['services', key, 'depends_on', name], `${name} is not a service of the compose file`);
    }
    return out;
  }

  private healthcheck(key: string, svc: Obj): Obj | undefined {
    const h = svc.healthcheck;
    if (!isObj(h) || h.disable === true) return undefined;
    const at = (...p: string[]) => ['services', key, 'healthcheck', ...p];
    let command: string[] | undefined;
    if (typeof h.test === 'string') command = ['sh', '-c', this.str(h.test, at('test'))];
    else if (Array.isArray(h.test)) {
      const [kind, ...rest] = h.test.map((t, i) => this.str(t, [...at('test'), String(i)]));
      if (kind === 'NONE') return undefined;
      if (kind === 'CMD') command = rest;
      else if (kind === 'CMD-SHELL') command = ['sh', '-c', rest.join(' ')];
    }
    if (!command?.length) {
      this.skip(at('test'), 'a health check test Slipway cannot read');
      return undefined;
    }
    const interval = composeDuration(h.interval) ?? 30_000;
    const timeout = composeDuration(h.timeout) ?? 30_000;
    const retries = typeof h.retries === 'number' ? h.retries : 3;
    const start = composeDuration(h.start_period) ?? 0;
    // Slipway's timeout is how long `up` waits for health: what Compose would wait, at least 60 s.
    const wait = Math.max(60_000, start + retries * (interval + Math.min(timeout, interval)));
    return { command, interval: slipwayDuration(Math.min(interval, 5000)), timeout: slipwayDuration(wait) };
  }

  private resources(key: string, svc: Obj): Obj | undefined {
    const limits =
      isObj(svc.deploy) && isObj(svc.deploy.resources) && isObj(svc.deploy.resources.limits)
        ? svc.deploy.resources.limits
        : {};
    const out: Obj = {};
    const cpus = Number(limits.cpus ?? svc.cpus);
    if (Number.isFinite(cpus) && cpus > 0) out.cpus = cpus;
    const memory = limits.memory ?? svc.mem_limit;
    if (memory !== undefined) {
      const m = composeMemory(memory);
      if (m !== undefined) out.memory = m;
      else
        this.skip(
          ['services', key, svc.mem_limit !== undefined ? 'mem_limit' : 'deploy'],
          `memory limit ${String(memory)} is not a size Slipway reads`,
        );
    }
    if (isObj(svc.deploy)) {
      for (const k of Object.keys(svc.deploy))
        if (k !== 'resources')
          this.skip(['services', key, 'deploy', k], `deploy ${k} is not mapped (one container per service)`);
    }
    return Object.keys(out).length ? out : undefined;
  }
}
