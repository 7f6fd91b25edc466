import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync, type Dirent } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { SlipwayError } from './errors';
import { ensureDir, readTextIfExists, writeFileAtomically } from './files';
import { createExclusive } from './lock';
import { isPostgresUrl, pulumiBackendUrl, teamStateUrl } from './state/url';

/**
 * Where Slipway keeps its own state. `SLIPWAY_HOME` (default `~/.slipway`) holds the Pulumi
 * file backend, Pulumi's home, per-environment records and locks; tests point it at a
 * temporary folder so they never touch a user's environments.
 */
export function slipwayHome(override?: string): string {
  return override ?? process.env.SLIPWAY_HOME ?? join(homedir(), '.slipway');
}

/**
 * Slipway's PULUMI_HOME (`SLIPWAY_HOME/pulumi`). Pulumi writes a debug-level log of every command
 * under its `logs` folder (each provider call's properties among it), gzip-compressed as it goes:
 * megabytes per `up` of an environment, kept up to 500 MB or 7 days, and CPU in every operation.
 * It has no switch for it and logs nothing when `logs` is not a folder, so Slipway keeps a file of
 * that name there.
 * `SLIPWAY_PULUMI_LOGS=1` brings the logs back (to send with a report of a Pulumi bug).
 */
export function pulumiHome(home: string): string {
  const dir = join(home, 'pulumi');
  const logs = join(dir, 'logs');
  const wanted = process.env.SLIPWAY_PULUMI_LOGS === '1';
  let folder: boolean | undefined;
  try {
    folder = statSync(logs).isDirectory();
  } catch {
    folder = undefined;
  }
  try {
    if (wanted && folder === false) rmSync(logs, { force: true });
    if (!wanted && folder !== false) {
      if (folder) rmSync(logs, { recursive: true, force: true });
      ensureDir(dir);
      writeFileAtomically(logs, "Pulumi's logs are off for Slipway: SLIPWAY_PULUMI_LOGS=1 turns them on.\n");
    }
  } catch {
    // another operation got there first; either way Pulumi runs
  }
  return dir;
}

/** Build caches (the Pulumi CLI built from source, base image rootfs): outside any repo. */
export function slipwayCache(): string {
  return process.env.SLIPWAY_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'slipway');
}

/** Pulumi's backend: its PostgreSQL backend in the team's database when the state is shared, else files under `home`. */
export function defaultBackendUrl(home: string): string {
  const team = teamStateUrl(home);
  if (team) return pulumiBackendUrl(team);
  return `file://${join(home, 'state')}`;
}

/** The file that keeps the secrets passphrase when PULUMI_CONFIG_PASSPHRASE is not set. */
export function passphrasePath(home: string): string {
  return join(home, 'passphrase');
}

/**
 * The stacks (`project/stack`) in a file backend: their secrets are encrypted with the
 * passphrase they were made with. None for any other backend.
 */
export function fileBackendStacks(backendUrl: string): string[] {
  if (!backendUrl.startsWith('file://')) return [];
  const root = join(backendUrl.slice('file://'.length), '.pulumi', 'stacks');
  const found: string[] = [];
  const walk = (dir: string, rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name), rel ? `${rel}/${e.name}` : e.name);
      else if (/\.json(\.gz)?$/.test(e.name))
        found.push(`${rel ? `${rel}/` : ''}${e.name.replace(/\.json(\.gz)?$/, '')}`);
    }
  };
  walk(root, '');
  return found.sort();
}

/**
 * The passphrase of Pulumi's passphrase secrets provider: `PULUMI_CONFIG_PASSPHRASE` if set,
 * else the one kept in `<home>/passphrase` (mode 0600). A new random one is made only while no
 * stack exists in the file backends it could be for (the default one under `home`, and
 * `backendUrl`): a stack's secrets can only be read with the passphrase it was made with, so a
 * missing or empty file is then an error, never silently replaced.
 */
export function secretsPassphrase(home: string, backendUrl = defaultBackendUrl(home)): string {
  const fromEnv = process.env.PULUMI_CONFIG_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (isPostgresUrl(backendUrl))
    throw new SlipwayError(
      'passphrase-invalid',
      "The stacks are in the team's PostgreSQL state, but PULUMI_CONFIG_PASSPHRASE is not set: every member of the team must encrypt and read the shared stacks' secrets with the same passphrase, so no per-user one is made.",
      {
        hint: "Set PULUMI_CONFIG_PASSPHRASE to the team's passphrase (from the team's secret store), then run the command again. Nothing was changed.",
      },
    );
  const file = passphrasePath(home);
  const kept = readPassphrase(file);
  if (kept !== undefined) return kept;
  const stacks = [...new Set([...fileBackendStacks(defaultBackendUrl(home)), ...fileBackendStacks(backendUrl)])];
  if (stacks.length > 0) {
    const shown = stacks.slice(0, 3).join(', ') + (stacks.length > 3 ? ` and ${stacks.length - 3} more` : '');
    throw new SlipwayError(
      'passphrase-invalid',
      `The secrets passphrase file ${file} is missing, but ${stacks.length} stack(s) (${shown}) were encrypted with the passphrase it held; a new one could not read them, so none was made.`,
      {
        hint: `Restore ${file} from a backup (mode 0600), or set PULUMI_CONFIG_PASSPHRASE to the passphrase those stacks were made with, then run the command again. Nothing was changed.`,
      },
    );
  }
  ensureDir(dirname(file));
  const passphrase = randomBytes(24).toString('base64url');
  if (createExclusive(file, passphrase + '\n')) return passphrase;
  // Another process created it first (atomically, never empty): use theirs.
  return readPassphrase(file) ?? passphrase;
}

/** The passphrase kept in `file`; undefined when there is no such file; an error when it is empty. */
function readPassphrase(file: string): string | undefined {
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  const passphrase = text.trim();
  if (passphrase === '') {
    throw new SlipwayError(
      'passphrase-invalid',
      `The secrets passphrase file ${file} is empty, so the stacks' secrets cannot be read.`,
      {
        hint: `Restore ${file} from a backup (mode 0600), or set PULUMI_CONFIG_PASSPHRASE to the passphrase the stacks were made with. Nothing was changed.`,
      },
    );
  }
  return passphrase;
}

/**
 * The error for a passphrase that Pulumi could not decrypt the stack's secrets with: it names
 * where the passphrase came from, and says what to do. Nothing was changed by the run.
 */
export function wrongPassphraseError(home: string, what: string): SlipwayError {
  const file = passphrasePath(home);
  const source = process.env.PULUMI_CONFIG_PASSPHRASE ? 'PULUMI_CONFIG_PASSPHRASE (set in this environment)' : file;
  return new SlipwayError(
    'passphrase-invalid',
    `${what}: the secrets passphrase from ${source} is not the one this state's stacks were encrypted with, so Pulumi cannot decrypt their secrets. Nothing was changed.`,
    {
      hint: `Restore ${file} from a backup, or set PULUMI_CONFIG_PASSPHRASE to the passphrase the stack was made with, then run the command again.`,
    },
  );
}

/** Whether a Pulumi failure (its error and diagnostics) is a passphrase that cannot decrypt the stack. */
export function isWrongPassphrase(err: unknown, diagnostics: string[] = []): boolean {
  const text = [err instanceof Error ? err.message : String(err), ...diagnostics].join('\n');
  return /incorrect passphrase|failed to decrypt|passphrase must be set/i.test(text);
}
