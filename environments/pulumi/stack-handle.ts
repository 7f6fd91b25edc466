/** The Pulumi CLI and an environment's stack without per-operation CLI calls: the version the engine already checked, the stack named on every call rather than selected. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readTextIfExists } from '../files';
import { PulumiCommand, Stack, type LocalWorkspace } from '@pulumi/pulumi/automation';
import { version as pulumiSdkVersion } from '@pulumi/pulumi/package.json';

/**
 * The Pulumi CLI under `root`, at the SDK's version. The engine's `findPulumiRoot` refused any
 * other version (asking each install once), so `PulumiCommand.get`'s own `pulumi version` on every
 * operation (~0.4 s) would only repeat that answer.
 */
export function checkedPulumiCommand(root: string): PulumiCommand {
  // The SDK's own SemVer class (the one its version checks compare with), taken from its minimum version.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { minimumVersion } = require('@pulumi/pulumi/automation/minimumVersion') as { minimumVersion: object };
  const SemVer = minimumVersion.constructor as new (v: string) => object;
  const Ctor = PulumiCommand as unknown as new (command: string, version: object) => PulumiCommand;
  return new Ctor(resolve(join(root, 'bin', 'pulumi')), new SemVer(pulumiSdkVersion));
}

/**
 * Whether a file backend holds the stack: the file Pulumi keeps for it in its project-scoped
 * layout (`.pulumi/meta.yaml` at version 1, or no backend yet: Pulumi then makes that layout).
 * Undefined for any other backend or layout, which only the CLI can answer for.
 */
export function fileBackendHasStack(backendUrl: string, project: string, stack: string): boolean | undefined {
  if (!backendUrl.startsWith('file://')) return undefined;
  const dir = join(backendUrl.slice('file://'.length), '.pulumi');
  if (existsSync(dir)) {
    const meta = readTextIfExists(join(dir, 'meta.yaml'));
    if (meta === undefined || !/^version:\s*1\s*$/m.test(meta)) return undefined;
  }
  const base = join(dir, 'stacks', project, `${stack}.json`);
  return existsSync(base) || existsSync(`${base}.gz`);
}

/**
 * The stack, known to exist, without `pulumi stack select` (~0.3-0.8 s): every command Slipway
 * runs on it passes `--stack`, so the workspace's current selection is never read.
 */
export async function existingStack(ws: LocalWorkspace, name: string): Promise<Stack> {
  const selectStack = ws.selectStack.bind(ws);
  ws.selectStack = async () => undefined;
  try {
    return await Stack.select(name, ws);
  } finally {
    ws.selectStack = selectStack;
  }
}

/**
 * `pulumi destroy --remove`: the stack is removed by the same CLI call once every resource is
 * gone, rather than by a second `pulumi stack rm` (~0.35 s). The SDK has no option for the flag,
 * so it rides on the arguments the workspace adds to each of this stack's commands, for this call only.
 */
export async function destroyAndRemove(stack: Stack, opts: Parameters<Stack['destroy']>[0]): Promise<void> {
  const ws = stack.workspace as LocalWorkspace;
  const serialize = ws.serializeArgsForOp.bind(ws);
  ws.serializeArgsForOp = async (name: string) => [...(await serialize(name)), '--remove'];
  try {
    await stack.destroy(opts);
  } finally {
    ws.serializeArgsForOp = serialize;
  }
}
