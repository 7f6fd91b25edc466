/**
 * The `licenses` gate: reads the license of every package installed under `<cwd>/node_modules`
 * (scoped packages, nested node_modules and pnpm's `.pnpm` store included; each package once) and
 * fails when one is denied, or, when `allow` is set, when one is not allowed.
 *
 * Licenses are judged with SPDX semantics by ./spdx.ts. The legacy `licenses: [{ type }]` list
 * counts as alternatives.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isFolder } from './process';
import { LicensePolicy } from './spdx';
import { outcome, type GateEvaluator } from './types';

/** How many offenders the evidence lists (all are counted). */
const MAX_OFFENDERS = 50;
/** How many offenders the reason names. */
const OFFENDERS_IN_REASON = 3;

interface InstalledPackage {
  name: string;
  version: string;
  /** The SPDX expression, or undefined when the package declares none. */
  license?: string;
}

export { LicensePolicy };

export const licensesGate: GateEvaluator<'licenses'> = async (gate, ctx) => {
  const cwd = gate.cwd ?? ctx.specDir;
  const nodeModules = join(cwd, 'node_modules');
  const base = { cwd, allow: gate.allow, deny: gate.deny };
  if (!isFolder(nodeModules)) {
    return outcome('fail', `no node_modules in ${cwd}; install the dependencies (npm ci) before this gate runs`, base);
  }
  const packages = await installedPackages(nodeModules);
  const policy = new LicensePolicy(gate.allow, gate.deny);
  const offenders: string[] = [];
  const byLicense: Record<string, number> = {};
  for (const pkg of packages) {
    const license = pkg.license ?? 'UNKNOWN';
    byLicense[license] = (byLicense[license] ?? 0) + 1;
    const problem = policy.problem(pkg.license);
    if (problem) offenders.push(`${pkg.name}@${pkg.version}: ${license} (${problem})`);
  }
  const evidence = {
    ...base,
    packages: packages.length,
    byLicense,
    offenders: offenders.slice(0, MAX_OFFENDERS),
    offenderCount: offenders.length,
  };
  if (offenders.length === 0)
    return outcome('pass', `all ${packages.length} installed packages have acceptable licenses`, evidence);
  const named =
    offenders.slice(0, OFFENDERS_IN_REASON).join('; ') + (offenders.length > OFFENDERS_IN_REASON ? '; ...' : '');
  return outcome(
    'fail',
    `${offenders.length} of ${packages.length} installed packages have unacceptable licenses: ${named}`,
    evidence,
  );
};

// ---------------------------------------------------------------------------------------------
// Installed packages
// ---------------------------------------------------------------------------------------------

/** Every package under a node_modules folder, once per name and version, sorted by name. */
async function installedPackages(nodeModules: string): Promise<InstalledPackage[]> {
  const found = new Map<string, InstalledPackage>();
  const seen = new Set<string>();
  const folders = [nodeModules];
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    for (const dir of await packageDirs(folder)) {
      const real = await realpath(dir).catch(() => undefined);
      if (real === undefined || seen.has(real)) continue;
      seen.add(real);
      const pkg = await readPackage(dir);
      if (!pkg) continue;
      found.set(`${pkg.name}@${pkg.version}`, pkg);
      folders.push(join(dir, 'node_modules'));
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** The package folders directly in a node_modules folder: `name`, `@scope/name`, and pnpm's `.pnpm/*\/node_modules/*`. */
async function packageDirs(nodeModules: string): Promise<string[]> {
  const dirs: string[] = [];
  for (const entry of await entries(nodeModules)) {
    const path = join(nodeModules, entry.name);
    if (entry.name === '.pnpm') {
      for (const store of await entries(path))
        dirs.push(...(await packageDirs(join(path, store.name, 'node_modules'))));
    } else if (entry.name.startsWith('@')) {
      dirs.push(...(await entries(path)).map((scoped) => join(path, scoped.name)));
    } else if (!entry.name.startsWith('.')) {
      dirs.push(path);
    }
  }
  return dirs;
}

/** The folders (or links to them) in `dir`; none when it does not exist. */
async function entries(dir: string): Promise<Dirent[]> {
  const list = await readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[]);
  return list.filter((e) => e.isDirectory() || e.isSymbolicLink());
}

async function readPackage(dir: string): Promise<InstalledPackage | undefined> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || typeof json.name !== 'string') return undefined;
  const version = typeof json.version === 'string' ? json.version : '0.0.0';
  return { name: json.name, version, license: declaredLicense(json) };
}

/** `license` (a string, or the legacy `{ type }`), or the legacy `licenses` list as alternatives. */
function declaredLicense(json: Record<string, unknown>): string | undefined {
  const license = licenseType(json.license)?.trim();
  if (license) return license;
  const list = Array.isArray(json.licenses)
    ? json.licenses.map(licenseType).filter((t): t is string => !!t?.trim())
    : [];
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : `(${list.join(' OR ')})`;
}

function licenseType(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}
