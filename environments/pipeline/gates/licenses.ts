/**
 * The `licenses` gate: reads the license of every package installed under `<cwd>/node_modules`
 * (scoped packages, nested node_modules and pnpm's `.pnpm` store included; each package once) and
 * fails when one is denied, or, when `allow` is set, when one is not allowed.
 *
 * A license is an SPDX expression: `MIT`, `(MIT OR Apache-2.0)` (passes when any alternative is
 * acceptable), `MIT AND Zlib` (needs all), `GPL-2.0 WITH Classpath-exception-2.0`. Ids compare
 * without case, and `-only`, `-or-later` and `+` are ignored, so `GPL-3.0` matches
 * `GPL-3.0-or-later`. The legacy `licenses: [{ type }]` list counts as alternatives.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { isFolder } from './process';
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

type Problem = 'denied' | 'not allowed' | 'no license';

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
  if (offenders.length === 0) return outcome('pass', `all ${packages.length} installed packages have acceptable licenses`, evidence);
  const named = offenders.slice(0, OFFENDERS_IN_REASON).join('; ') + (offenders.length > OFFENDERS_IN_REASON ? '; ...' : '');
  return outcome('fail', `${offenders.length} of ${packages.length} installed packages have unacceptable licenses: ${named}`, evidence);
};

// ---------------------------------------------------------------------------------------------
// Policy
// ---------------------------------------------------------------------------------------------

type Expression = { license: string; exception?: string } | { op: 'and' | 'or'; items: Expression[] };

/** Decides whether a license expression is acceptable under the allow and deny lists. */
export class LicensePolicy {
  private readonly allow: Set<string>;
  private readonly deny: Set<string>;

  constructor(allow: string[], deny: string[]) {
    this.allow = new Set(allow.map(normalizeId));
    this.deny = new Set(deny.map(normalizeId));
  }

  /** Why `license` is not acceptable, or undefined when it is. */
  problem(license: string | undefined): Problem | undefined {
    if (license === undefined) return this.allow.size > 0 ? 'no license' : undefined;
    const expression = parseExpression(license);
    if (this.acceptable(expression)) return undefined;
    return leaves(expression).some((leaf) => this.matches(this.deny, leaf)) ? 'denied' : 'not allowed';
  }

  private acceptable(e: Expression): boolean {
    if ('op' in e) return e.op === 'and' ? e.items.every((i) => this.acceptable(i)) : e.items.some((i) => this.acceptable(i));
    return !this.matches(this.deny, e) && (this.allow.size === 0 || this.matches(this.allow, e));
  }

  /** A list entry matches a license with an exception when it names both, or just the license. */
  private matches(list: Set<string>, leaf: { license: string; exception?: string }): boolean {
    const full = leaf.exception ? `${leaf.license} with ${leaf.exception}` : leaf.license;
    return list.has(normalizeId(full)) || list.has(normalizeId(leaf.license));
  }
}

function normalizeId(id: string): string {
  return id
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/(-only|-or-later|\+)(?= with |$)/, '');
}

function leaves(e: Expression): Array<{ license: string; exception?: string }> {
  return 'op' in e ? e.items.flatMap(leaves) : [e];
}

/**
 * Parses an SPDX expression (WITH binds tighter than AND, AND tighter than OR). Text that is not
 * an expression (`SEE LICENSE IN LICENSE.md`, `MIT/X11`) is one license named by the whole text.
 */
export function parseExpression(text: string): Expression {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  const parser = new ExpressionParser(tokens);
  const parsed = parser.parse();
  return parsed ?? { license: text.trim() };
}

class ExpressionParser {
  private at = 0;

  constructor(private readonly tokens: string[]) {}

  parse(): Expression | undefined {
    const e = this.or();
    return e && this.at === this.tokens.length ? e : undefined;
  }

  private or(): Expression | undefined {
    return this.list('or', () => this.and());
  }

  private and(): Expression | undefined {
    return this.list('and', () => this.with());
  }

  private list(op: 'and' | 'or', item: () => Expression | undefined): Expression | undefined {
    const items = [item()];
    while (this.peekKeyword() === op) {
      this.at++;
      items.push(item());
    }
    if (items.some((i) => i === undefined)) return undefined;
    return items.length === 1 ? items[0] : { op, items: items as Expression[] };
  }

  private with(): Expression | undefined {
    const atom = this.atom();
    if (!atom || this.peekKeyword() !== 'with') return atom;
    this.at++;
    const exception = this.id();
    return 'license' in atom && exception ? { license: atom.license, exception } : undefined;
  }

  private atom(): Expression | undefined {
    if (this.tokens[this.at] !== '(') {
      const license = this.id();
      return license ? { license } : undefined;
    }
    this.at++;
    const inner = this.or();
    if (this.tokens[this.at] !== ')') return undefined;
    this.at++;
    return inner;
  }

  private id(): string | undefined {
    const token = this.tokens[this.at];
    if (token === undefined || token === '(' || token === ')' || this.peekKeyword() !== undefined) return undefined;
    this.at++;
    return token;
  }

  private peekKeyword(): 'and' | 'or' | 'with' | undefined {
    const token = this.tokens[this.at]?.toLowerCase();
    return token === 'and' || token === 'or' || token === 'with' ? token : undefined;
  }
}

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
      for (const store of await entries(path)) dirs.push(...(await packageDirs(join(path, store.name, 'node_modules'))));
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
  const list = Array.isArray(json.licenses) ? json.licenses.map(licenseType).filter((t): t is string => !!t?.trim()) : [];
  if (list.length === 0) return undefined;
  return list.length === 1 ? list[0] : `(${list.join(' OR ')})`;
}

function licenseType(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
}
