/**
 * A Docker Compose file turned into a slipway.yaml: services, builds, images, ports, env and
 * env_file, depends_on, health checks, volumes, resource limits, and PostgreSQL services as
 * databases; everything else is listed as not mapped, with its line in the compose file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { SlipwayError } from '../errors';
import { slipwayName, type Vars } from './compose-values';
import { ComposeContext, isObj, type DbInfo, type Obj, type Unmapped } from './compose-context';
import { mapService } from './compose-service';
import { mapDatabase, POSTGRES_IMAGE } from './compose-storage';
import { parseEnvFile } from './service-extras';

export type { Unmapped } from './compose-context';

export interface ComposeDraft {
  /** The spec as a plain object (what slipway.yaml holds). */
  spec: Record<string, unknown>;
  unmapped: Unmapped[];
  /** Notes on what was mapped in a way worth checking (a database URL replaced, a renamed service). */
  notes: string[];
}

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
  const ctx = new ComposeContext(doc, lines, dir, readDotEnv(dir));
  return mapDocument(ctx, root, projectName ?? slipwayName(typeof root.name === 'string' ? root.name : basename(dir)));
}

/** The `.env` beside the compose file: Compose's default source of interpolation values. */
function readDotEnv(dir: string): Vars {
  const file = join(dir, '.env');
  return existsSync(file) ? Object.fromEntries(parseEnvFile(readFileSync(file, 'utf8'))) : {};
}

/** The whole document: top-level keys, volumes declared, databases first, then every other service. */
function mapDocument(ctx: ComposeContext, root: Obj, name: string): ComposeDraft {
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
    ctx.skip(
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
      ctx.skip(
        ['volumes', v],
        'external volumes and volume drivers are not mapped; Slipway makes a fresh local volume per environment',
      );
  }
  const secrets = isObj(root.secrets) ? root.secrets : {};
  const databases: Obj = {};
  const out: Obj = {};
  // What another service waits for to complete runs once, as a job.
  for (const svc of Object.values(services)) {
    if (!isObj(svc) || !isObj(svc.depends_on)) continue;
    for (const [dep, cond] of Object.entries(svc.depends_on))
      if (isObj(cond) && cond.condition === 'service_completed_successfully') ctx.jobs.add(dep);
  }
  const dbNames = new Set<string>();
  for (const key of Object.keys(services)) {
    const n = slipwayName(key);
    if (n !== key)
      ctx.notes.push(
        `service ${key} is named ${n} in slipway.yaml (Slipway names are lowercase letters, digits and '-'); other services reach it as ${n}`,
      );
    ctx.names.set(key, n);
    const svc = services[key];
    // A PostgreSQL server, not a task run with its image (a job, or a command other than postgres).
    const cmd = isObj(svc) ? svc.command : undefined;
    const command = Array.isArray(cmd) ? String(cmd[0]) : typeof cmd === 'string' ? cmd : '';
    if (
      isObj(svc) &&
      !svc.build &&
      typeof svc.image === 'string' &&
      POSTGRES_IMAGE.test(ctx.str(svc.image, ['services', key, 'image'])) &&
      !ctx.jobs.has(key) &&
      (command === '' || /^(postgres\b|-)/.test(command))
    )
      dbNames.add(key);
  }
  const dbInfo = new Map<string, DbInfo>();
  for (const key of dbNames) {
    const { db, info } = mapDatabase(ctx, key, services[key] as Obj);
    databases[ctx.names.get(key)!] = db;
    dbInfo.set(key, info);
  }
  for (const [key, svc] of Object.entries(services)) {
    if (dbNames.has(key)) continue;
    if (!isObj(svc)) {
      ctx.skip(['services', key], 'not a mapping');
      continue;
    }
    const mapped = mapService(ctx, key, svc, volumes, secrets, dbInfo);
    if (mapped) out[ctx.names.get(key)!] = mapped;
  }
  const spec: Obj = { version: 1, name, services: out };
  if (Object.keys(databases).length) spec.databases = databases;
  return { spec, unmapped: ctx.unmapped.sort((a, b) => a.line - b.line), notes: ctx.notes };
}
