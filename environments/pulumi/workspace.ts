/** The stack worker's Pulumi workspace: the node shim for the provider host, the stack of an environment, results taken from the event stream. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LocalWorkspace, StackNotFoundError, type Stack } from '@pulumi/pulumi/automation';
import { ensureDir, writeFileAtomically } from '../files';
import type { EnvNames } from '../naming';
import { pulumiHome, wrongPassphraseError } from '../paths';
import type { WorkerSettings } from './protocol';
import { passphraseFitsBackend } from './secrets';
import { timedPulumiCommand } from './cli-timings';
import { providerPort } from './provider-thread';
import { checkedPulumiCommand, existingStack, fileBackendHasStack } from './stack-handle';

/**
 * A folder holding `node`: a two-line script that runs this worker's own Node. Pulumi's
 * dynamic-provider shim runs `node` from PATH; with this folder first, the provider host runs
 * under the same Node as the worker, also where none is installed (VS Code's Electron, run as
 * Node). Named by a hash of its content, so installs never overwrite each other's.
 */
function nodeShimDir(home: string): string {
  const quoted = `'${process.execPath.replace(/'/g, `'\\''`)}'`;
  const script = `#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec ${quoted} "$@"\n`;
  const dir = join(home, 'runtime', createHash('sha256').update(script).digest('hex').slice(0, 16));
  const file = join(dir, 'node');
  if (!existsSync(file)) {
    // Made executable (by this user only) before it appears under its name: a concurrent worker never runs it half-made.
    writeFileAtomically(file, script, 0o700);
  }
  return dir;
}

/** The project's Pulumi.yaml in `workDir`, replaced atomically when it differs (never truncated in place). */
function writeProjectFile(workDir: string, project: string, backendUrl: string): void {
  const text = `name: ${JSON.stringify(project)}\nruntime: nodejs\nbackend:\n  url: ${JSON.stringify(backendUrl)}\n`;
  const file = join(workDir, 'Pulumi.yaml');
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // not written yet
  }
  if (current !== text) writeFileAtomically(file, text);
}

/** Selects the environment's stack; creates it when `create` (then `created` is true). */
export async function openStack(
  settings: WorkerSettings,
  names: EnvNames,
  create: boolean,
): Promise<{ stack: Stack; created: boolean } | undefined> {
  const stateDir = settings.backendUrl.startsWith('file://') ? settings.backendUrl.slice('file://'.length) : undefined;
  if (stateDir) ensureDir(stateDir);
  const workDir = join(settings.home, 'work', names.pulumiProject);
  ensureDir(workDir);
  // Written here, whole or not at all: the SDK, given project settings, rewrites Pulumi.yaml in
  // place on every open, and a concurrent operation's Pulumi could read it empty.
  writeProjectFile(workDir, names.pulumiProject, settings.backendUrl);
  const pulumiCommand = timedPulumiCommand(checkedPulumiCommand(settings.pulumiRoot));
  // The engine attaches to the provider thread when it runs, rather than starting the plugin.
  const port = await providerPort();
  const attach = port && [process.env.PULUMI_DEBUG_PROVIDERS, `pulumi-nodejs:${port}`].filter(Boolean).join(',');
  const opts = {
    workDir,
    pulumiHome: pulumiHome(settings.home),
    pulumiCommand,
    secretsProvider: 'passphrase',
    envVars: {
      PULUMI_CONFIG_PASSPHRASE: settings.passphrase,
      PULUMI_BACKEND_URL: settings.backendUrl,
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_SKIP_CONFIRMATIONS: 'true',
      // No copy of the whole state under .pulumi/backups/ per operation (Pulumi keeps the previous
      // checkpoint beside the stack as .bak, and one in its history, all the same).
      PULUMI_DIY_BACKEND_DISABLE_CHECKPOINT_BACKUPS: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      PATH: [join(settings.pulumiRoot, 'bin'), nodeShimDir(settings.home), process.env.PATH ?? ''].join(delimiter),
      // Pulumi's `pulumi-resource-pulumi-nodejs` shim runs `node` on
      // require.resolve('@pulumi/pulumi/cmd/dynamic-provider'), found through NODE_PATH.
      NODE_PATH: settings.nodePath,
      ...(attach ? { PULUMI_DEBUG_PROVIDERS: attach } : {}),
    },
  };
  const args = { projectName: names.pulumiProject, stackName: names.stack, program: async () => ({}) };
  // A file backend says itself whether the stack exists; any other is asked through `stack select`.
  const known = fileBackendHasStack(settings.backendUrl, names.pulumiProject, names.stack);
  if (known) {
    const ws = await LocalWorkspace.create({ ...opts, program: args.program });
    return { stack: await existingStack(ws, names.stack), created: false };
  }
  if (known === undefined) {
    try {
      return { stack: await LocalWorkspace.selectStack(args, opts), created: false };
    } catch (err) {
      if (!(err instanceof StackNotFoundError)) throw err;
    }
  }
  if (!create) return undefined;
  // Pulumi makes a new stack with any passphrase: one that does not open the stacks already here is refused.
  if (!(await passphraseFitsBackend(settings.passphrase, settings.backendUrl)))
    throw wrongPassphraseError(settings.home, `Could not create the stack of branch "${names.branch}"`);
  return { stack: await LocalWorkspace.createStack(args, opts), created: true };
}

/**
 * After each run the SDK reads the stack's outputs and its last history entry through three
 * more CLI calls (~1.5 s). Slipway takes both from the run's own event stream instead, and
 * reads outputs through the CLI only when the stream did not carry them.
 */
export function readResultsFromEvents(stack: Stack): () => Promise<Record<string, unknown>> {
  const readOutputs = stack.outputs.bind(stack);
  Object.assign(stack, { outputs: async () => ({}), info: async () => undefined });
  return async () => Object.fromEntries(Object.entries(await readOutputs()).map(([k, v]) => [k, v.value]));
}
