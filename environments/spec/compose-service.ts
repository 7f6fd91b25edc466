// One compose service as a slipway.yaml service: build, image, command, ports, env, secrets, depends_on, health check.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { composeDuration, containerPort, keyValues, shellWords, slipwayDuration } from './compose-values';
import { HANDLED_ELSEWHERE, type ComposeContext, isObj, type DbInfo, type Obj } from './compose-context';
import { mapResources, mapVolumes } from './compose-storage';
import { insideProject } from './service-extras';

export function mapService(
  ctx: ComposeContext,
  key: string,
  svc: Obj,
  volumes: Obj,
  secrets: Obj,
  dbs: Map<string, DbInfo>,
): Obj | undefined {
  const at = (...p: Array<string | number>) => ['services', key, ...p];
  const out: Obj = {};
  if (svc.build !== undefined) out.build = mapBuild(ctx, key, svc.build);
  else if (typeof svc.image === 'string') out.image = ctx.str(svc.image, at('image'));
  else {
    ctx.skip(at(), 'a service with neither build nor image cannot run; it was left out');
    return undefined;
  }
  if (svc.command !== undefined && svc.command !== null) {
    out.command = Array.isArray(svc.command)
      ? svc.command.map((c, i) => ctx.str(c, at('command', i)))
      : shellWords(ctx.str(svc.command, at('command')));
  }
  // Compose reads a string entrypoint as words, as slipway.yaml does.
  if (svc.entrypoint !== undefined && svc.entrypoint !== null) {
    out.entrypoint = Array.isArray(svc.entrypoint)
      ? svc.entrypoint.map((c, i) => ctx.str(c, at('entrypoint', i)))
      : ctx.str(svc.entrypoint, at('entrypoint'));
  }
  if (svc.user !== undefined && svc.user !== null) out.user = ctx.str(String(svc.user), at('user'));
  if (svc.working_dir !== undefined && svc.working_dir !== null)
    out.working_dir = ctx.str(svc.working_dir, at('working_dir'));
  const ports: number[] = [];
  (Array.isArray(svc.ports) ? svc.ports : []).forEach((p, i) => {
    const port = containerPort(typeof p === 'string' ? ctx.str(p, at('ports', i)) : p);
    if (typeof port === 'number') {
      if (!ports.includes(port)) ports.push(port);
    } else ctx.skip(at('ports', i), port.reason);
  });
  // A job (another service waits for it to complete) publishes nothing and has no health check.
  const job = ctx.jobs.has(key);
  if (job) out.job = true;
  if (ports.length && job)
    ctx.skip(at('ports'), `${key} runs once (a job: others wait for it to complete), so its ports are not published`);
  else if (ports.length) out.ports = ports;
  const { env, secretVars } = mapEnvironment(ctx, key, svc, dbs);
  if (svc.env_file !== undefined) {
    const files = (Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file]).flatMap((f, i) => {
      const path = isObj(f) ? String(f.path) : String(f);
      const where = Array.isArray(svc.env_file) ? at('env_file', i) : at('env_file');
      const required = !isObj(f) || f.required !== false;
      if (!insideProject(ctx.dir, path)) {
        ctx.skip(where, `env_file ${path} is outside the project folder, which Slipway does not read`);
        return [];
      }
      if (!existsSync(join(ctx.dir, path))) {
        if (required)
          ctx.skip(where, `env_file ${path} does not exist; create it, then add it to env_file in slipway.yaml`);
        return [];
      }
      return [path];
    });
    if (files.length) out.env_file = files.length === 1 ? files[0] : files;
  }
  if (Object.keys(env).length) out.env = env;
  const secretMap: Obj = Object.fromEntries(secretVars.map((v) => [v, { env: v }]));
  const mounts = mapVolumes(ctx, key, svc, volumes);
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
      insideProject(ctx.dir, decl.file) &&
      existsSync(join(ctx.dir, decl.file))
    ) {
      mounts.push(`${decl.file.startsWith('.') ? decl.file : `./${decl.file}`}:${target}:ro`);
    } else
      ctx.skip(
        at('secrets', i),
        `secret ${name} is not a file inside the project folder; give it to the service in slipway.yaml's secrets ({ env: VAR } or { file: PATH })`,
      );
  });
  if (Object.keys(secretMap).length) out.secrets = secretMap;
  if (mounts.length) out.volumes = mounts;
  const after = mapDependsOn(ctx, key, svc);
  if (after.length) out.depends_on = after;
  const health = mapHealthcheck(ctx, key, svc);
  if (health && job)
    ctx.skip(
      at('healthcheck'),
      `${key} runs once (a job): it is done when it exits with code 0, so its health check is not mapped`,
    );
  else if (health) out.healthcheck = health;
  const limits = mapResources(ctx, key, svc);
  if (limits) out.resources = limits;
  for (const k of Object.keys(svc)) {
    if (
      [
        'build',
        'image',
        'command',
        'entrypoint',
        'user',
        'working_dir',
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
    ctx.skip(at(k), `${k} is not mapped`);
  }
  return out;
}

function mapBuild(ctx: ComposeContext, key: string, build: unknown): unknown {
  const at = (...p: Array<string | number>) => ['services', key, 'build', ...p];
  if (!isObj(build)) return ctx.str(build, at());
  const out: Obj = { context: ctx.str(build.context ?? '.', at('context')) };
  if (build.dockerfile !== undefined) out.dockerfile = ctx.str(build.dockerfile, at('dockerfile'));
  const args = keyValues(build.args).flatMap(([k, v]) =>
    v === null
      ? (ctx.skip(
          at('args', k),
          `build arg ${k} takes its value from the shell, which slipway.yaml does not; set it here`,
        ),
        [])
      : [[k, ctx.str(v, at('args', k))]],
  );
  if (args.length) out.args = Object.fromEntries(args);
  if (build.target !== undefined) out.target = ctx.str(build.target, at('target'));
  for (const k of Object.keys(build))
    if (!['context', 'dockerfile', 'args', 'target'].includes(k)) ctx.skip(at(k), `build ${k} is not mapped`);
  return out.dockerfile === undefined && !out.args && out.target === undefined ? out.context : out;
}

/** The env, with references to a PostgreSQL service replaced by the database's own values; variables taken from the shell become secrets. */
function mapEnvironment(
  ctx: ComposeContext,
  key: string,
  svc: Obj,
  dbs: Map<string, DbInfo>,
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
    if (whole && !Object.hasOwn(ctx.vars, whole[1])) {
      // A value from the shell with no default: a secret read where Slipway runs.
      secretVars.push(k);
      if (whole[1] !== k)
        ctx.skip(
          path,
          `${k} came from the shell's ${whole[1]}; it is now the secret ${k}, read from the variable ${k} where Slipway runs`,
        );
      continue;
    }
    let value = ctx.str(raw, path, true);
    const asWritten = value;
    for (const [dbKey, info] of dbs) {
      const dbName = ctx.names.get(dbKey)!;
      if (new RegExp(`^postgres(?:ql)?://[^@/]*@${dbKey.replace(/[.]/g, '\\.')}(?::5432)?(?:/|$)`).test(value)) {
        value = `\${{ databases.${dbName}.url }}`;
        ctx.notes.push(`${key}'s ${k} is the database URL of ${dbName} (\${{ databases.${dbName}.url }})`);
      } else if (info.password && value === info.password) {
        value = `\${{ databases.${dbName}.password }}`;
        ctx.notes.push(`${key}'s ${k} is the password of ${dbName} (\${{ databases.${dbName}.password }})`);
      }
    }
    if (value === asWritten) ctx.str(raw, path);
    env[k] = value;
  }
  return { env, secretVars };
}

function mapDependsOn(ctx: ComposeContext, key: string, svc: Obj): string[] {
  const d = svc.depends_on;
  const entries: Array<[string, unknown]> = Array.isArray(d)
    ? d.map((n) => [String(n), undefined])
    : isObj(d)
      ? Object.entries(d)
      : [];
  const out: string[] = [];
  // Each condition holds in Slipway: a dependency with a health check is waited for until healthy,
  // a job (service_completed_successfully) until it exited with code 0.
  for (const [name] of entries) {
    const mapped = ctx.names.get(name);
    if (mapped) out.push(mapped);
    else ctx.skip(['services', key, 'depends_on', name], `${name} is not a service of the compose file`);
  }
  return out;
}

function mapHealthcheck(ctx: ComposeContext, key: string, svc: Obj): Obj | undefined {
  const h = svc.healthcheck;
  if (!isObj(h) || h.disable === true) return undefined;
  const at = (...p: string[]) => ['services', key, 'healthcheck', ...p];
  let command: string[] | undefined;
  if (typeof h.test === 'string') command = ['sh', '-c', ctx.str(h.test, at('test'))];
  else if (Array.isArray(h.test)) {
    const [kind, ...rest] = h.test.map((t, i) => ctx.str(t, [...at('test'), String(i)]));
    if (kind === 'NONE') return undefined;
    if (kind === 'CMD') command = rest;
    else if (kind === 'CMD-SHELL') command = ['sh', '-c', rest.join(' ')];
  }
  if (!command?.length) {
    ctx.skip(at('test'), 'a health check test Slipway cannot read');
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
