// An environment's secret values as its containers hold them (generated passwords, the spec's secrets and env-file values), and the scrubber that hides them in logs.
import { readFileSync } from 'node:fs';
import { connectDocker, environmentContainers } from '../docker/engine';
import { envNames } from '../naming';
import { inspectRecord } from '../records';
import { parseEnvFile } from '../spec/service-extras';
import type { ServiceSpec } from '../spec/types';
import type { EngineContext } from './context';

/** What stands for a hidden value. */
export const SCRUBBED = '***';

/** Shorter values are not hidden: they would blank out ordinary words and numbers. */
const MIN_SECRET = 4;

/** The names of a service's variables whose values are secret: its `secrets` and the keys of its env files. */
function secretNames(svc: ServiceSpec): string[] {
  const names = (svc.secrets ?? []).map((s) => s.name);
  for (const f of svc.envFiles ?? []) {
    try {
      names.push(...parseEnvFile(readFileSync(f.path, 'utf8')).map(([k]) => k));
    } catch {
      // the file is gone since the environment came up: its values are still found by the secrets' names
    }
  }
  return names;
}

/**
 * The environment's secret values as its containers hold them: each database's generated
 * password, the values of the spec's `secrets` and env files (as the last `up` ran them), and
 * every env value that contains one (a database URL). Read from Docker (no Pulumi run), for
 * scrubbing what gates and logs show; never stored. Longest first.
 */
export async function environmentSecrets(
  ctx: EngineContext,
  project: string,
  branch: string,
  dockerHost?: string,
): Promise<string[]> {
  const names = envNames(project, branch);
  const record = inspectRecord(ctx.home, names.project, names.env).record;
  const host = dockerHost ?? record?.dockerHost;
  const docker = host === undefined ? ctx.docker : connectDocker(host);
  const live = await environmentContainers(docker, {
    project: names.project,
    env: names.env,
    state: ctx.stateId,
  }).catch(() => []);
  const envs = await Promise.all(
    live.map(async (s) => ({
      service: s.service,
      env:
        (
          await docker
            .getContainer(s.containerId)
            .inspect()
            .catch(() => undefined)
        )?.Config.Env ?? [],
    })),
  );
  const key = (entry: string) => entry.slice(0, entry.indexOf('='));
  const value = (entry: string) => entry.slice(entry.indexOf('=') + 1);
  const passwords = envs
    .filter((c) => record?.databases.includes(c.service))
    .flatMap((c) => c.env.filter((e) => e.startsWith('POSTGRES_PASSWORD=')).map(value));
  const declared = envs.flatMap((c) => {
    const svc = record?.ran?.services.find((s) => s.name === c.service);
    const secret = new Set(svc ? secretNames(svc) : []);
    return c.env.filter((e) => secret.has(key(e))).map(value);
  });
  const known = [...passwords, ...declared].filter((v) => v.length >= MIN_SECRET);
  const holding = envs.flatMap((c) => c.env.map(value)).filter((v) => known.some((p) => v !== p && v.includes(p)));
  return [...new Set([...known, ...holding])].sort((a, b) => b.length - a.length);
}

/** A share link's token wherever a line shows one (the gateway never passes it on, but a pasted link might be logged). */
const SHARE_TOKEN = /(slipway_token=)[^&\s"'<>]+/g;

/**
 * A function that hides `secrets` in one log line: each value, its URL-encoded form, each line of
 * a value that spans lines, and share-link tokens. Lines are whole when they come here, so a
 * value split across the log stream's chunks is still found.
 */
export function secretScrubber(secrets: string[]): (line: string) => string {
  const forms = new Set<string>();
  for (const s of secrets) {
    for (const part of s.split(/\r?\n/)) {
      if (part.length < MIN_SECRET) continue;
      forms.add(part);
      forms.add(encodeURIComponent(part));
    }
  }
  const values = [...forms].sort((a, b) => b.length - a.length);
  return (line) =>
    values
      .reduce((out, v) => (out.includes(v) ? out.split(v).join(SCRUBBED) : out), line)
      .replace(SHARE_TOKEN, `$1${SCRUBBED}`);
}
