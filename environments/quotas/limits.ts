// Quota limits and the default TTL from the workspace's settings, the user's settings and the host policy: strictest wins.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findNodeAtLocation, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { LineCounter, parseDocument } from 'yaml';
import { SlipwayError } from '../errors';
import { readTextIfExists } from '../files';
import { tryParseDuration, tryParseMemory } from '../spec/units';

/** Every limit Slipway enforces; 0 or absent means no limit. */
export const LIMIT_KEYS = [
  'maxEnvironmentsPerUser',
  'maxEnvironmentsPerWorkspace',
  'maxEnvironmentsPerHost',
  'cpusPerEnvironment',
  'memoryPerEnvironment',
  'cpusPerHost',
  'memoryPerHost',
] as const;
export type LimitKey = (typeof LIMIT_KEYS)[number];

/** One limit in force: its value (a count, cores or bytes) and the file that set it. */
export interface Limit {
  value: number;
  /** The setting's name as written there (`slipway.quotas.maxEnvironmentsPerUser`, `quotas.cpusPerHost`). */
  setting: string;
  source: string;
}

export interface QuotaLimits {
  limits: Partial<Record<LimitKey, Limit>>;
  /** The default time to live in ms (`slipway.ttl.default`), strictest of the sources, and where it came from. */
  ttl?: { ms: number; source: string };
  /** Every file that was read (whether or not it set anything). */
  sources: string[];
}

const isMemory = (key: LimitKey) => key.startsWith('memory');

/** The workspace folder of a spec: the nearest folder upward holding `.vscode/settings.json`, else the spec's own. */
export function workspaceSettingsFile(specDir: string): string | undefined {
  for (let dir = specDir; ; dir = dirname(dir)) {
    const file = join(dir, '.vscode', 'settings.json');
    if (existsSync(file)) return file;
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return undefined;
  }
}

export function userSettingsFile(home: string): string {
  return join(home, 'settings.json');
}

export function hostPolicyFile(home: string): string {
  return join(home, 'policy.yaml');
}

function invalid(file: string, line: number, field: string, problem: string): SlipwayError {
  return new SlipwayError('settings-invalid', `${file}:${line}: ${field} ${problem}.`, {
    hint: 'Correct the value (a count, a number of CPUs, a size such as 2g, a duration such as 72h; 0 means no limit) and retry.',
  });
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A setting's value, checked: a non-negative number (memory also as a size such as `2g`). */
function limitValue(key: LimitKey, raw: unknown, where: () => SlipwayError): number {
  const value = isMemory(key)
    ? typeof raw === 'string' || typeof raw === 'number'
      ? tryParseMemory(raw)
      : undefined
    : typeof raw === 'number' && raw >= 0
      ? raw
      : undefined;
  if (value === undefined || !Number.isFinite(value)) throw where();
  return value;
}

interface Entry {
  key: LimitKey | 'ttl';
  setting: string;
  value: number;
}

/** `slipway.quotas.*` and `slipway.ttl.default` of a VS Code settings file (JSON with comments). */
export function readSettingsFile(file: string): Entry[] {
  const text = readTextIfExists(file);
  if (text === undefined || !text.trim()) return [];
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length || !root || root.type !== 'object') {
    const at = errors[0]?.offset ?? 0;
    throw new SlipwayError('settings-invalid', `${file}:${lineOf(text, at)}: is not a JSON object of settings.`, {
      hint: 'Correct the file (JSON with comments) and retry.',
    });
  }
  const out: Entry[] = [];
  const node = (setting: string): Node | undefined => findNodeAtLocation(root, [setting]);
  for (const key of LIMIT_KEYS) {
    const setting = `slipway.quotas.${key}`;
    const n = node(setting);
    if (!n) continue;
    const what = isMemory(key)
      ? 'must be a size such as 512m or 2g, or 0 for no limit'
      : 'must be a number of 0 or more (0: no limit)';
    out.push({
      key,
      setting,
      value: limitValue(key, n.value, () => invalid(file, lineOf(text, n.offset), setting, what)),
    });
  }
  const ttl = node('slipway.ttl.default');
  if (ttl) {
    const ms = typeof ttl.value === 'string' ? tryParseDuration(ttl.value) : undefined;
    if (ms === undefined)
      throw invalid(file, lineOf(text, ttl.offset), 'slipway.ttl.default', 'must be a duration such as 30m, 72h or 7d');
    out.push({ key: 'ttl', setting: 'slipway.ttl.default', value: ms });
  }
  return out;
}

/** The host policy: `quotas: { <limit>: value }` and `ttl: { default: 72h }`. */
export function readPolicyFile(file: string): Entry[] {
  const text = readTextIfExists(file);
  if (text === undefined || !text.trim()) return [];
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length)
    throw new SlipwayError(
      'settings-invalid',
      `${file}:${doc.errors[0].linePos?.[0].line ?? 1}: ${doc.errors[0].message}`,
      { hint: 'Correct the YAML and retry.' },
    );
  const out: Entry[] = [];
  const lineAt = (path: string[]) => {
    const n = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return n?.range ? lines.linePos(n.range[0]).line : 1;
  };
  const quotas = doc.get('quotas') as unknown;
  if (quotas !== undefined) {
    const plain = doc.toJS().quotas as Record<string, unknown> | null;
    if (!plain || typeof plain !== 'object')
      throw invalid(file, lineAt(['quotas']), 'quotas', 'must be a mapping of limits');
    for (const [name, raw] of Object.entries(plain)) {
      const key = LIMIT_KEYS.find((k) => k === name);
      if (!key)
        throw invalid(
          file,
          lineAt(['quotas', name]),
          `quotas.${name}`,
          `is not a limit (use one of ${LIMIT_KEYS.join(', ')})`,
        );
      const what = isMemory(key)
        ? 'must be a size such as 512m or 2g, or 0 for no limit'
        : 'must be a number of 0 or more (0: no limit)';
      out.push({
        key,
        setting: `quotas.${key}`,
        value: limitValue(key, raw, () => invalid(file, lineAt(['quotas', name]), `quotas.${name}`, what)),
      });
    }
  }
  const ttl = (doc.toJS() as { ttl?: { default?: unknown } } | null)?.ttl?.default;
  if (ttl !== undefined) {
    const ms = typeof ttl === 'string' ? tryParseDuration(ttl) : undefined;
    if (ms === undefined)
      throw invalid(file, lineAt(['ttl', 'default']), 'ttl.default', 'must be a duration such as 30m, 72h or 7d');
    out.push({ key: 'ttl', setting: 'ttl.default', value: ms });
  }
  return out;
}

/**
 * The limits in force for a spec's workspace: the workspace's `.vscode/settings.json`, the user's
 * `SLIPWAY_HOME/settings.json` and the host's `SLIPWAY_HOME/policy.yaml`. For each limit the
 * strictest value set anywhere wins (0 is no limit), so a user's setting can tighten a team's
 * limit but never loosen it.
 */
export function readLimits(home: string, workspaceDir?: string): QuotaLimits {
  const files: Array<{ file: string; entries: Entry[] }> = [];
  const ws = workspaceDir ? workspaceSettingsFile(workspaceDir) : undefined;
  if (ws) files.push({ file: ws, entries: readSettingsFile(ws) });
  files.push({ file: userSettingsFile(home), entries: readSettingsFile(userSettingsFile(home)) });
  files.push({ file: hostPolicyFile(home), entries: readPolicyFile(hostPolicyFile(home)) });
  const out: QuotaLimits = { limits: {}, sources: files.map((f) => f.file) };
  for (const { file, entries } of files) {
    for (const e of entries) {
      if (e.value <= 0) continue;
      if (e.key === 'ttl') {
        if (!out.ttl || e.value < out.ttl.ms) out.ttl = { ms: e.value, source: file };
        continue;
      }
      const held = out.limits[e.key];
      if (!held || e.value < held.value) out.limits[e.key] = { value: e.value, setting: e.setting, source: file };
    }
  }
  return out;
}
