// PostgreSQL services as databases, volume mounts and resource limits of a compose service.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeMemory, keyValues } from './compose-values';
import { HANDLED_ELSEWHERE, type ComposeContext, isObj, type DbInfo, type Obj } from './compose-context';
import { INIT_DIR } from './database-init';
import { insideProject } from './service-extras';

/** An image whose last path part is postgres (`postgres:16`, `docker.io/library/postgres`, `slipway/postgres:15`); its tag. */
export const POSTGRES_IMAGE = /^(?:[^\s]*\/)?postgres(?::([^@/]+))?(?:@.*)?$/;

/** A PostgreSQL service as a database: same name, user and database, a password of its own per environment. */
export function mapDatabase(ctx: ComposeContext, key: string, svc: Obj): { db: Obj; info: DbInfo } {
  const at = (...p: Array<string | number>) => ['services', key, ...p];
  const env = new Map(
    keyValues(svc.environment).map(([k, v]) => [
      k,
      v === null ? undefined : ctx.str(v, at('environment', k), k === 'POSTGRES_PASSWORD'),
    ]),
  );
  const image = ctx.str(svc.image, at('image'));
  const tag = POSTGRES_IMAGE.exec(image)?.[1] ?? 'latest';
  const major = /^(\d+)/.exec(tag)?.[1];
  const user = env.get('POSTGRES_USER') || 'postgres';
  const database = env.get('POSTGRES_DB') || user;
  const db: Obj = { engine: 'postgres', version: major ?? '16', image, user, database };
  if (!major) ctx.skip(at('image'), `the PostgreSQL version of ${image} is not a number; version 16 was written`);
  const limits = mapResources(ctx, key, svc);
  if (limits) db.resources = limits;
  const init = mapDatabaseVolumes(ctx, key, svc, env.get('PGDATA') || '/var/lib/postgresql/data');
  if (init.length > 0) db.init = init.length === 1 ? init[0] : init;
  if (svc.command !== undefined)
    ctx.skip(at('command'), 'command of a PostgreSQL service is not mapped (Slipway starts the database itself)');
  const n = ctx.names.get(key)!;
  ctx.notes.push(
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
    ctx.skip(at(k), `${k} of a PostgreSQL service is not mapped (Slipway runs the database itself)`);
  }
  for (const k of env.keys())
    if (!['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD', 'PGDATA'].includes(k))
      ctx.skip(at('environment', k), `${k} of the database service is not mapped`);
  return { db, info: { password: env.get('POSTGRES_PASSWORD'), user, database } };
}

/** One compose volume entry (`src:/path:ro` or the long form); undefined (and skipped) for a kind Slipway does not mount. */
function composeVolume(
  ctx: ComposeContext,
  v: unknown,
  at: Array<string | number>,
): { source?: string; target: string; ro: boolean } | undefined {
  if (isObj(v)) {
    if (v.type !== undefined && v.type !== 'volume' && v.type !== 'bind') {
      ctx.skip(at, `${String(v.type)} mounts are not mapped`);
      return undefined;
    }
    return {
      source: v.source === undefined ? undefined : ctx.str(v.source, at),
      target: String(v.target),
      ro: v.read_only === true,
    };
  }
  const parts = ctx.str(v, at).split(':');
  const [source, target] = parts.length === 1 ? [undefined, parts[0]] : parts;
  return { source, target, ro: parts[2]?.split(',').includes('ro') ?? false };
}

/** Why a bind mount's source cannot be mounted (outside the project, missing), else undefined. */
function bindProblem(ctx: ComposeContext, source: string): string | undefined {
  if (source.startsWith('~') || source.startsWith('/') || !insideProject(ctx.dir, source))
    return `bind mount ${source} is outside the project folder; Slipway mounts only folders inside it`;
  if (!existsSync(join(ctx.dir, source))) return `bind mount ${source} does not exist`;
  return undefined;
}

/**
 * A PostgreSQL service's volumes: its data folder is the database's own volume, made per
 * environment; bind mounts into /docker-entrypoint-initdb.d become `init` (in the order the
 * image runs them: by name there); anything else is listed as not mapped.
 */
function mapDatabaseVolumes(ctx: ComposeContext, key: string, svc: Obj, data: string): string[] {
  const init: Array<{ source: string; name: string }> = [];
  (Array.isArray(svc.volumes) ? svc.volumes : []).forEach((v, i) => {
    const at = ['services', key, 'volumes', i];
    const m = composeVolume(ctx, v, at);
    if (!m) return;
    const target = m.target.replace(/\/+$/, '');
    if (target === data || data.startsWith(`${target}/`)) return;
    if (m.source && /^[.~/]/.test(m.source) && (target === INIT_DIR || target.startsWith(`${INIT_DIR}/`))) {
      const problem = bindProblem(ctx, m.source);
      if (problem) return ctx.skip(at, problem);
      init.push({ source: m.source, name: target === INIT_DIR ? '' : target.slice(INIT_DIR.length + 1) });
      return;
    }
    ctx.skip(
      at,
      `${m.target} of a PostgreSQL service is not mapped: Slipway mounts its data volume and its init scripts (${INIT_DIR}) only`,
    );
  });
  if (init.length === 0) return [];
  const folder = init.find((m) => m.name === '');
  if (folder) {
    if (init.length > 1)
      ctx.skip(
        ['services', key, 'volumes'],
        `${folder.source} is mounted as ${INIT_DIR} beside single scripts in it; only the folder was mapped to init`,
      );
    return [folder.source];
  }
  return init.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((m) => m.source);
}

export function mapVolumes(ctx: ComposeContext, key: string, svc: Obj, declared: Obj): string[] {
  const out: string[] = [];
  (Array.isArray(svc.volumes) ? svc.volumes : []).forEach((v, i) => {
    const at = ['services', key, 'volumes', i];
    const m = composeVolume(ctx, v, at);
    if (!m) return;
    const { source, target, ro } = m;
    if (!source) return ctx.skip(at, 'anonymous volumes are not mapped; name the volume (NAME:/path) to keep it');
    if (/^[.~/]/.test(source)) {
      const problem = bindProblem(ctx, source);
      if (problem) return ctx.skip(at, problem);
    } else if (!Object.hasOwn(declared, source))
      ctx.notes.push(
        `volume ${source} of ${key} is not declared under volumes: it is made per environment all the same`,
      );
    out.push(`${source}:${target}${ro ? ':ro' : ''}`);
  });
  return out;
}

export function mapResources(ctx: ComposeContext, key: string, svc: Obj): Obj | undefined {
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
      ctx.skip(
        ['services', key, svc.mem_limit !== undefined ? 'mem_limit' : 'deploy'],
        `memory limit ${String(memory)} is not a size Slipway reads`,
      );
  }
  if (isObj(svc.deploy)) {
    for (const k of Object.keys(svc.deploy))
      if (k !== 'resources')
        ctx.skip(['services', key, 'deploy', k], `deploy ${k} is not mapped (one container per service)`);
  }
  return Object.keys(out).length ? out : undefined;
}
