/**
 * Where the Pulumi CLI is, and that it is the version the Automation API SDK expects. The
 * version of each binary is asked once per install: the answer is kept (by path, size, mtime and
 * inode) in the Slipway cache folder, so an operation costs a `stat`, not a `pulumi version`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { version as pulumiSdkVersion } from '@pulumi/pulumi/package.json';
import { SlipwayError } from '../errors';
import { slipwayCache } from '../paths';

export interface LocateOptions {
  /** The version needed; default the @pulumi/pulumi SDK's (pinned in package.json). */
  version?: string;
  /** Slipway's cache folder; default SLIPWAY_CACHE or ~/.cache/slipway. */
  cache?: string;
  /** Default the PATH environment variable. */
  path?: string;
  /** A `pulumi` binary (or the folder that holds it) to use before any other; default SLIPWAY_PULUMI. */
  pulumi?: string;
}

interface Stamp {
  size: number;
  mtimeMs: number;
  ino: number;
  version: string;
}

const known = new Map<string, Stamp>();

/** How to get the Pulumi CLI, for a user of the installed CLI as much as in a Slipway checkout. */
function installHint(version: string, cached: string): string {
  return (
    `Install Pulumi v${version} (\`curl -fsSL https://get.pulumi.com | sh -s -- --version ${version}\`, see https://www.pulumi.com/docs/install/) ` +
    `and put its folder on PATH, or set SLIPWAY_PULUMI to its \`pulumi\` binary; in a Slipway checkout, \`npm run setup\` builds it into ${cached}/bin.`
  );
}

/**
 * The Pulumi CLI at the SDK's version: the one SLIPWAY_PULUMI names, a build cached by
 * scripts/bootstrap-pulumi.sh, or a `pulumi` on PATH (next to `pulumi-resource-pulumi-nodejs`).
 * Returns the folder whose `bin/` holds it. A CLI of another version is refused, saying which was
 * found and which is needed; a SLIPWAY_PULUMI that names nothing usable is refused as such.
 */
export function findPulumiRoot(options: LocateOptions = {}): string {
  const version = options.version ?? pulumiSdkVersion;
  const cache = options.cache ?? slipwayCache();
  const cached = join(cache, 'pulumi', `v${version}`);
  const candidates: string[] = [];
  const named = options.pulumi ?? process.env.SLIPWAY_PULUMI;
  if (named) {
    const bin = existsSync(named) && statSync(named).isDirectory() ? named : dirname(named);
    if (!existsSync(join(bin, 'pulumi'))) {
      throw new SlipwayError(
        'pulumi-unavailable',
        `SLIPWAY_PULUMI is ${named}, which is not a \`pulumi\` binary or a folder holding one.`,
        {
          hint: `Point SLIPWAY_PULUMI at Pulumi v${version}'s \`pulumi\` (or unset it to look on PATH). ${installHint(version, cached)}`,
        },
      );
    }
    candidates.push(bin);
  }
  if (existsSync(join(cached, 'bin', 'pulumi'))) candidates.push(join(cached, 'bin'));
  for (const dir of (options.path ?? process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'pulumi')) && existsSync(join(dir, 'pulumi-resource-pulumi-nodejs')))
      candidates.push(dir);
  }
  const found: string[] = [];
  for (const bin of candidates) {
    const have = binaryVersion(join(bin, 'pulumi'), cache);
    if (have === version) return dirname(bin);
    found.push(`${/^\d/.test(have) ? `v${have}` : have} at ${join(bin, 'pulumi')}`);
  }
  if (found.length) {
    throw new SlipwayError(
      'pulumi-unavailable',
      `The Pulumi CLI found is the wrong version: ${found.join('; ')}; Slipway needs v${version} (the version of its @pulumi/pulumi SDK).`,
      {
        hint: `Slipway uses the first one at v${version}. ${installHint(version, cached)}`,
      },
    );
  }
  throw new SlipwayError(
    'pulumi-unavailable',
    `The Pulumi CLI v${version} was not found (looked in ${cached}/bin and on PATH for \`pulumi\` with \`pulumi-resource-pulumi-nodejs\` beside it); Slipway runs every environment through it.`,
    {
      hint: installHint(version, cached),
    },
  );
}

/** `pulumi version` of a binary (without its `v`), asked once per install of it. */
function binaryVersion(file: string, cache: string): string {
  const path = realpathSync(file);
  const st = statSync(path);
  const same = (s: Stamp | undefined): s is Stamp =>
    !!s && s.size === st.size && s.mtimeMs === st.mtimeMs && s.ino === st.ino;
  const memo = known.get(path);
  if (same(memo)) return memo.version;
  const stampFile = join(cache, 'pulumi', 'versions.json');
  let stamps: Record<string, Stamp> = {};
  try {
    stamps = JSON.parse(readFileSync(stampFile, 'utf8')) as Record<string, Stamp>;
  } catch {
    // none yet, or unreadable: asked again below
  }
  const stored = Object.hasOwn(stamps, path) ? stamps[path] : undefined;
  if (same(stored)) {
    known.set(path, stored);
    return stored.version;
  }
  let version: string;
  try {
    const out = execFileSync(path, ['version'], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: 'true' },
    });
    version = out.trim().split('\n')[0].replace(/^v/, '');
  } catch (err) {
    // Not remembered: a failure may be passing (a busy machine), so the next call asks again.
    return `an unknown version (\`pulumi version\` failed: ${(err as Error).message.split('\n')[0]})`;
  }
  const stamp: Stamp = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, version };
  known.set(path, stamp);
  try {
    mkdirSync(dirname(stampFile), { recursive: true });
    const tmp = `${stampFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...stamps, [path]: stamp }, null, 2));
    renameSync(tmp, stampFile);
  } catch {
    // a read-only cache folder: this process still remembers it
  }
  return version;
}
