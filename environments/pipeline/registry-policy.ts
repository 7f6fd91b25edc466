// The registry a team sets for its stages (host policy, workspace settings), checked and merged with the stage's own `registry`.
import { findNodeAtLocation, getNodeValue, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { SlipwayError, formatSpecIssue } from '../errors';
import { readTextIfExists } from '../files';
import { hostPolicyFile, workspaceSettingsFile } from '../quotas/limits';
import { SpecSource } from '../spec/source';
import type { Spec, StageSpec } from '../spec/types';

/** host[:port][/path], as a stage's `registry` and the policy schema accept it. */
export const REGISTRY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9.-]*(:\\d{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*/?$';

/** One registry the policy sets, where it was set, and whether a spec must use it. */
export interface PolicyRegistry {
  registry: string;
  /** `file:line`. */
  at: string;
  /** The setting as written there: `registry.stages.production`, `slipway.registry.default`. */
  setting: string;
  required: boolean;
}

/** What one file sets: a registry per stage name, one for every stage on another engine, and whether they bind. */
export interface RegistryPolicy {
  file: string;
  stages: Record<string, PolicyRegistry>;
  default?: PolicyRegistry;
  required: boolean;
}

function invalid(file: string, line: number, setting: string, problem: string): SlipwayError {
  return new SlipwayError('settings-invalid', `${file}:${line}: ${setting} ${problem}.`, {
    hint: 'Write registries as host[:port][/path] (e.g. registry.example.com/team), stage names as in slipway.yaml, required as true or false, then retry.',
  });
}

const REGISTRY = new RegExp(REGISTRY_PATTERN);
const SHAPE = 'must be a registry: host[:port][/path], e.g. 127.0.0.1:5000 or registry.example.com/team';
const normal = (registry: string) => registry.replace(/\/+$/, '');

/** Reads `registry: { default, stages: { NAME: registry }, required }` of parsed values, with a line per path. */
function readPolicy(
  file: string,
  prefix: string,
  get: (key: 'default' | 'stages' | 'required') => unknown,
  stageNames: () => string[],
  lineAt: (path: string[]) => number,
): RegistryPolicy {
  const required = get('required');
  if (required !== undefined && typeof required !== 'boolean')
    throw invalid(file, lineAt(['required']), `${prefix}required`, 'must be true or false');
  const policy: RegistryPolicy = { file, stages: {}, required: required === true };
  const one = (path: string[], raw: unknown): PolicyRegistry => {
    const setting = `${prefix}${path.join('.')}`;
    if (typeof raw !== 'string' || !REGISTRY.test(raw)) throw invalid(file, lineAt(path), setting, SHAPE);
    return { registry: normal(raw), at: `${file}:${lineAt(path)}`, setting, required: policy.required };
  };
  const fallback = get('default');
  // An empty default (VS Code's own for the setting) names no registry.
  if (fallback !== undefined && fallback !== '') policy.default = one(['default'], fallback);
  const stages = get('stages');
  if (stages !== undefined) {
    if (typeof stages !== 'object' || stages === null || Array.isArray(stages))
      throw invalid(file, lineAt(['stages']), `${prefix}stages`, 'must map stage names to registries');
    for (const name of stageNames())
      policy.stages[name] = one(['stages', name], (stages as Record<string, unknown>)[name]);
  }
  if (policy.required && !policy.default && !Object.keys(policy.stages).length)
    throw invalid(file, lineAt(['required']), `${prefix}required`, 'requires a registry, and none is set beside it');
  return policy;
}

/** The host policy's `registry:` mapping (SLIPWAY_HOME/policy.yaml), or undefined when it sets none. */
export function readHostRegistryPolicy(file: string): RegistryPolicy | undefined {
  const text = readTextIfExists(file);
  if (text === undefined || !text.trim()) return undefined;
  const lines = new LineCounter();
  const doc: Document.Parsed = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length)
    throw new SlipwayError(
      'settings-invalid',
      `${file}:${doc.errors[0].linePos?.[0].line ?? 1}: ${doc.errors[0].message}`,
      {
        hint: 'Correct the YAML and retry.',
      },
    );
  const plain = (doc.toJS() as { registry?: unknown } | null)?.registry;
  if (plain === undefined) return undefined;
  const lineAt = (path: string[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(['registry', ...path.slice(0, n)], true) as
        { range?: [number, number, number] } | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
    return 1;
  };
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain))
    throw invalid(file, lineAt([]), 'registry', 'must be a mapping { default, stages, required }');
  const raw = plain as Record<string, unknown>;
  const unknownKey = Object.keys(raw).find((k) => !['default', 'stages', 'required'].includes(k));
  if (unknownKey)
    throw invalid(
      file,
      lineAt([unknownKey]),
      `registry.${unknownKey}`,
      'is not a registry setting (use default, stages or required)',
    );
  const stages = raw.stages;
  return readPolicy(
    file,
    'registry.',
    (key) => raw[key],
    () => (stages && typeof stages === 'object' ? Object.keys(stages) : []),
    lineAt,
  );
}

/** `slipway.registry.default`, `.stages` and `.required` of a VS Code settings file, or undefined when it sets none. */
export function readWorkspaceRegistryPolicy(file: string): RegistryPolicy | undefined {
  const text = readTextIfExists(file);
  if (text === undefined || !text.trim()) return undefined;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
  if (errors.length || !root || root.type !== 'object')
    throw new SlipwayError(
      'settings-invalid',
      `${file}:${lineOf(errors[0]?.offset ?? 0)}: is not a JSON object of settings.`,
      {
        hint: 'Correct the file (JSON with comments) and retry.',
      },
    );
  const keys = ['default', 'stages', 'required'] as const;
  const node = (key: string): Node | undefined => findNodeAtLocation(root, [`slipway.registry.${key}`]);
  if (keys.every((k) => !node(k))) return undefined;
  const lineAt = (path: string[]) => {
    const top = node(path[0]);
    const inner = top && path.length > 1 ? findNodeAtLocation(top, path.slice(1)) : undefined;
    return lineOf((inner ?? top)?.offset ?? 0);
  };
  const valueOf = (key: string): unknown => {
    const n = node(key);
    return n ? (getNodeValue(n) as unknown) : undefined;
  };
  const stages = valueOf('stages');
  return readPolicy(
    file,
    'slipway.registry.',
    (key) => valueOf(key),
    () => (stages && typeof stages === 'object' ? Object.keys(stages) : []),
    lineAt,
  );
}

/** The registry policies in force for a spec: the host's first, then the workspace's. */
export function registryPolicies(home: string, specDir: string): RegistryPolicy[] {
  const ws = workspaceSettingsFile(specDir);
  return [readHostRegistryPolicy(hostPolicyFile(home)), ws ? readWorkspaceRegistryPolicy(ws) : undefined].filter(
    (p): p is RegistryPolicy => p !== undefined,
  );
}

/**
 * The registry the policies set for a stage: its name's entry, else the default for a stage on
 * another engine. A required one comes first (the host's before the workspace's), else the first.
 */
export function policyRegistryFor(policies: RegistryPolicy[], stage: StageSpec): PolicyRegistry | undefined {
  const remote = stage.dockerHost !== undefined;
  const set = policies
    .map((p) => p.stages[stage.name] ?? (remote ? p.default : undefined))
    .filter((r): r is PolicyRegistry => r !== undefined);
  return set.find((r) => r.required) ?? set[0];
}

/**
 * The stage with the registry its images travel through: the stage's own `registry`, else the
 * policy's. A policy that requires a registry refuses a stage naming another one, at the stage's
 * line. A registry for a stage on this machine's engine is never applied (nothing travels).
 */
export function stageWithRegistry(home: string, spec: Spec, stage: StageSpec): StageSpec {
  if (stage.dockerHost === undefined) return stage;
  const policy = policyRegistryFor(registryPolicies(home, spec.dir), stage);
  if (!policy) return stage;
  if (!stage.registry)
    return { ...stage, registry: policy.registry, registryFrom: `${policy.setting} in ${policy.at}` };
  if (!policy.required || stage.registry === policy.registry) return stage;
  const index = spec.pipeline?.stages.findIndex((s) => s.name === stage.name) ?? -1;
  const message = `names the registry ${stage.registry}, but ${policy.setting} in ${policy.at} requires ${policy.registry} for stage ${stage.name}`;
  const text = readTextIfExists(spec.file);
  const where =
    text !== undefined && index >= 0
      ? formatSpecIssue(
          new SpecSource(text, spec.file).issue(['pipeline', 'stages', index, 'registry'], 'value', message),
        )
      : `${spec.file}: pipeline.stages.${stage.name}.registry: ${message}`;
  throw new SlipwayError('policy-refused', where, {
    hint: `Remove "registry" from the stage (the policy's ${policy.registry} is then used) or write ${policy.registry}, then promote again.`,
  });
}
