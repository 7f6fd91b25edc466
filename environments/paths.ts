import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { createExclusive } from './lock';

/**
 * Where Slipway keeps its own state. `SLIPWAY_HOME` (default `~/.slipway`) holds the Pulumi
 * file backend, Pulumi's home, per-environment records and locks; tests point it at a
 * temporary folder so they never touch a user's environments.
 */
export function slipwayHome(override?: string): string {
  return override ?? process.env.SLIPWAY_HOME ?? join(homedir(), '.slipway');
}

/** Build caches (the Pulumi CLI built from source, base image rootfs): outside any repo. */
export function slipwayCache(): string {
  return process.env.SLIPWAY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'slipway');
}

export function defaultBackendUrl(home: string): string {
  return `file://${join(home, 'state')}`;
}

/**
 * The passphrase of Pulumi's passphrase secrets provider: `PULUMI_CONFIG_PASSPHRASE` if set,
 * else a random one generated once and kept in `<home>/passphrase` (mode 0600).
 */
export function secretsPassphrase(home: string): string {
  const fromEnv = process.env.PULUMI_CONFIG_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const file = join(home, 'passphrase');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const passphrase = randomBytes(24).toString('base64url');
  if (createExclusive(file, passphrase + '\n')) return passphrase;
  // Another process created it first (atomically, never empty): use theirs.
  return readFileSync(file, 'utf8').trim();
}
