/**
 * The stack worker: one Node process per stack operation (the Pulumi Node SDK keeps global
 * state per program run). The engine forks it, sends one `run` request over IPC, and receives
 * progress events and one result or error. If the engine goes away (its process was killed),
 * the worker cancels the Pulumi operation gracefully so the state stays consistent, and exits.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalWorkspace, PulumiCommand, StackNotFoundError, type EngineEvent, type Stack } from '@pulumi/pulumi/automation';
import { SlipwayError } from '../errors';
import type { SlipwayEvent } from '../events';
import { WORKER_MARK } from '../processes';
import { clearPendingOperations, withEnvLock } from './recovery';
import { envNames, isStageBranch, type EnvNames } from '../naming';
import type { Spec } from '../spec/types';
import { ensureDir, writeFileAtomically } from '../files';
import { isWrongPassphrase, wrongPassphraseError } from '../paths';
import { inspectRecord, mergeRan, rebuildRecord, removeRecord, writeRecord, type EnvRecord } from '../records';
import { connectDocker, environmentLabels, publishedHostPorts, pruneDanglingImages, removeEnvironmentImages, sweepEnvironment, type SweepResult } from '../docker/engine';
import { allocateHostPorts, movedPortMessage, releaseHostPorts } from '../ports';
import { programFingerprint, resourceUrn } from './fingerprint';
import { passphraseFitsBackend } from './secrets';
import { PULUMI_MODULE } from '../kinds';
import { realityDrift, showValue, type DriftItem, type DriftReport, type StateResource } from '../pipeline/drift';
import { declaredPorts, environmentProgram, type EnvIdentity, type PortMap } from './program';
import type { DownResult, ParentMessage, UpResult, WorkerMessage, WorkerRequest, WorkerResult, WorkerSettings } from './protocol';

const abort = new AbortController();

// Everything this worker starts (the Pulumi CLI, and the plugins Pulumi starts in process groups
// of their own) carries this mark, so the engine, or the next operation after a kill -9, can end it.
process.env[WORKER_MARK] = String(process.pid);

function send(msg: WorkerMessage): void {
  if (process.connected) process.send?.(msg);
}
function emit(event: SlipwayEvent): void {
  send({ type: 'event', event });
}

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

/** Selects the environment's stack; creates it when `create` (then `created` is true). */
async function openStack(settings: WorkerSettings, names: EnvNames, create: boolean): Promise<{ stack: Stack; created: boolean } | undefined> {
  const stateDir = settings.backendUrl.startsWith('file://') ? settings.backendUrl.slice('file://'.length) : undefined;
  if (stateDir) ensureDir(stateDir);
  const workDir = join(settings.home, 'work', names.pulumiProject);
  ensureDir(workDir);
  const pulumiCommand = await PulumiCommand.get({ root: settings.pulumiRoot });
  const opts = {
    workDir,
    pulumiHome: join(settings.home, 'pulumi'),
    pulumiCommand,
    secretsProvider: 'passphrase',
    projectSettings: { name: names.pulumiProject, runtime: 'nodejs' as const, backend: { url: settings.backendUrl } },
    envVars: {
      PULUMI_CONFIG_PASSPHRASE: settings.passphrase,
      PULUMI_BACKEND_URL: settings.backendUrl,
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_SKIP_CONFIRMATIONS: 'true',
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: 'true',
      PATH: [join(settings.pulumiRoot, 'bin'), nodeShimDir(settings.home), process.env.PATH ?? ''].join(':'),
      // Pulumi's `pulumi-resource-pulumi-nodejs` shim runs `node` on
      // require.resolve('@pulumi/pulumi/cmd/dynamic-provider'), found through NODE_PATH.
      NODE_PATH: settings.nodePath,
    },
  };
  const args = { projectName: names.pulumiProject, stackName: names.stack, program: async () => ({}) };
  let stack: Stack;
  try {
    stack = await LocalWorkspace.selectStack(args, opts);
  } catch (err) {
    if (!(err instanceof StackNotFoundError)) throw err;
    if (!create) return undefined;
    // Pulumi makes a new stack with any passphrase: one that does not open the stacks already here is refused.
    if (!(await passphraseFitsBackend(settings.passphrase, settings.backendUrl))) throw wrongPassphraseError(settings.home, `Could not create the stack of branch "${names.branch}"`);
    return { stack: await LocalWorkspace.createStack(args, opts), created: true };
  }
  return { stack, created: false };
}

/**
 * After each run the SDK reads the stack's outputs and its last history entry through three
 * more CLI calls (~1.5 s). Slipway takes both from the run's own event stream instead, and
 * reads outputs through the CLI only when the stream did not carry them.
 */
function readResultsFromEvents(stack: Stack): () => Promise<Record<string, unknown>> {
  const readOutputs = stack.outputs.bind(stack);
  Object.assign(stack, { outputs: async () => ({}), info: async () => undefined });
  return async () => Object.fromEntries(Object.entries(await readOutputs()).map(([k, v]) => [k, v.value]));
}

function stripColor(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/<\{%[a-z]+%\}>/g, '').replace(/\u001b\[[0-9;]*m/g, '').trim();
}

/** Turns Pulumi engine events into Slipway events, and keeps the run's errors, outputs and summary. */
class RunEvents {
  readonly diagnostics: string[] = [];
  stackOutputs?: Record<string, unknown>;
  changes: Record<string, number> = {};
  readonly onEvent = eventTranslator(this);
}

function eventTranslator(run: RunEvents): (e: EngineEvent) => void {
  const started = new Map<string, number>();
  return (e) => {
    if (e.resOutputsEvent?.metadata.type === 'pulumi:pulumi:Stack') run.stackOutputs = e.resOutputsEvent.metadata.new?.outputs;
    const pre = e.resourcePreEvent?.metadata;
    const done = e.resOutputsEvent?.metadata;
    const failed = e.resOpFailedEvent?.metadata;
    const meta = pre ?? done ?? failed;
    if (meta) {
      if (meta.type.startsWith('pulumi:providers:') || meta.type === 'pulumi:pulumi:Stack') return;
      const name = meta.urn.split('::').pop() ?? meta.urn;
      const kind = meta.type.split(':').pop() ?? meta.type;
      const phase = pre ? 'started' : done ? 'finished' : 'failed';
      let durationMs: number | undefined;
      if (pre) started.set(meta.urn, Date.now());
      else if (started.has(meta.urn)) durationMs = Date.now() - started.get(meta.urn)!;
      emit({ type: 'resource', phase, op: meta.op, kind, name, urn: meta.urn, durationMs });
      return;
    }
    const diag = e.diagnosticEvent;
    if (diag && (diag.severity === 'error' || diag.severity === 'warning' || diag.severity === 'info')) {
      const message = stripColor(diag.message);
      if (!message) return;
      if (diag.severity === 'error') run.diagnostics.push(message);
      emit({ type: 'diagnostic', severity: diag.severity, message, urn: diag.urn });
      return;
    }
    if (e.summaryEvent) {
      run.changes = e.summaryEvent.resourceChanges as Record<string, number>;
      emit({ type: 'summary', changes: e.summaryEvent.resourceChanges as Record<string, number>, durationMs: e.summaryEvent.durationSeconds * 1000 });
    }
  };
}

/** The useful lines of a failed Pulumi run: the error diagnostics, without Pulumi's boilerplate. */
function failureMessage(diagnostics: string[], err: unknown): string {
  const lines = diagnostics
    .flatMap((d) => d.split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !/^(update failed|error: update failed|Running program)/i.test(l));
  const unique = [...new Set(lines)];
  if (unique.length > 0) return unique.join('\n');
  const text = err instanceof Error ? err.message : String(err);
  const errorLines = text.split('\n').filter((l) => /error:/i.test(l));
  return (errorLines.length ? errorLines : text.split('\n').slice(-5)).join('\n').trim();
}

/**
 * Host ports for every declared container port (see ../ports.ts): the ones used before (record,
 * else stack outputs) while still free, new ones otherwise; a replaced one is reported. With
 * `reserve` (an `up`), they are held in the machine-wide ledger until `down`.
 */
async function allocatePorts(settings: WorkerSettings, names: EnvNames, stack: Stack, spec: Spec, recorded: PortMap | undefined, reserve: boolean): Promise<PortMap> {
  let previous: PortMap = recorded ?? {};
  if (!recorded) {
    try {
      previous = ((await stack.outputs()).ports?.value as PortMap | undefined) ?? {};
    } catch {
      previous = {};
    }
  }
  const docker = connectDocker(settings.dockerHost);
  const { ports, moved } = await allocateHostPorts({
    home: settings.home,
    project: names.project,
    env: names.env,
    wanted: declaredPorts(spec),
    previous,
    reserve,
    published: () => publishedHostPorts(docker, { project: names.project, env: names.env, state: settings.stateId }),
  });
  for (const m of moved) emit({ type: 'diagnostic', severity: 'warning', message: movedPortMessage(m, spec.services.some((s) => s.name === m.owner)) });
  return ports;
}

/**
 * Containers the last `up` made that are gone from Docker or stopped (by hand): Pulumi's state
 * still lists them as they were, so they are replaced explicitly and `up` converges.
 */
async function vanishedContainers(settings: WorkerSettings, names: EnvNames, prior?: EnvRecord): Promise<string[]> {
  const applied = prior?.applied?.containers ?? {};
  if (Object.keys(applied).length === 0) return [];
  const running = new Set((await connectDocker(settings.dockerHost).listContainers({ all: true })).filter((c) => c.State === 'running').map((c) => c.Id));
  const gone = Object.entries(applied).filter(([, id]) => !running.has(id));
  if (gone.length > 0) emit({ type: 'step', message: `recreating what was stopped or removed outside Slipway: ${gone.map(([n]) => n).join(', ')}` });
  return gone.map(([name]) => resourceUrn(names.pulumiProject, names.stack, name));
}

function nowIso(): string {
  return new Date().toISOString();
}

/**
 * The environment's record before this operation. A damaged one is rebuilt from the Docker labels
 * of its containers (branch, owner, creation time), so the next write keeps what they know.
 */
async function priorRecord(settings: WorkerSettings, names: EnvNames): Promise<{ prior?: EnvRecord; damaged: boolean }> {
  const { record, damaged } = inspectRecord(settings.home, names.project, names.env);
  if (!damaged) return { prior: record, damaged: false };
  emit({ type: 'step', message: `the environment's record is damaged (${damaged.message}); rebuilding it from its Docker labels` });
  return { prior: await labelledRecord(settings, names), damaged: true };
}

/** A record rebuilt from the Docker labels of the environment's containers. */
async function labelledRecord(settings: WorkerSettings, names: EnvNames): Promise<EnvRecord> {
  const labels = await environmentLabels(connectDocker(settings.dockerHost), { project: names.project, env: names.env, state: settings.stateId });
  return rebuildRecord({ services: [], databases: [], ...labels, project: names.project, env: names.env, branch: names.branch });
}

function identityOf(record: EnvRecord): EnvIdentity {
  return { owner: record.owner, createdAt: record.createdAt };
}

/** Puts back the record as it was before an operation that changed nothing (its secrets could not be read). */
function restoreRecord(settings: WorkerSettings, names: EnvNames, prior: EnvRecord | undefined): void {
  if (prior) writeRecord(settings.home, prior);
  else removeRecord(settings.home, names.project, names.env);
}

async function runUp(req: Extract<WorkerRequest, { op: 'up' }>): Promise<UpResult> {
  const { spec, settings } = req;
  const names = envNames(spec.name, req.branch, settings.stateId);
  return withEnvLock(settings, names, abort.signal, emit, async (staleLock) => {
    const { prior, damaged } = await priorRecord(settings, names);
    const interrupted = staleLock || damaged || prior?.lastOperation.status === 'running' || !!prior?.lastOperation.interrupted;
    const record: EnvRecord = {
      project: names.project,
      env: names.env,
      branch: names.branch,
      stack: names.stack,
      specFile: spec.file,
      createdAt: prior?.createdAt ?? nowIso(),
      updatedAt: nowIso(),
      owner: prior?.owner ?? req.owner,
      services: spec.services.map((s) => s.name),
      databases: spec.databases.map((d) => d.name),
      urls: prior?.urls ?? {},
      ports: prior?.ports,
      // What the last successful up applied stays known while this one runs, or if it fails.
      applied: prior?.applied,
      ran: prior?.ran,
      lastOperation: { op: 'up', status: 'running', at: nowIso() },
    };
    writeRecord(settings.home, record);
    const run = new RunEvents();
    // Never came up before (this is the first up, or every one before failed).
    const firstUp = !prior?.applied;
    let opened: Stack | undefined;
    try {
      emit({ type: 'step', message: `opening stack ${names.pulumiProject}/${names.stack}` });
      const { stack, created } = (await openStack(settings, names, true))!;
      opened = stack;
      if (interrupted) await clearPendingOperations(stack, settings.home, emit);
      const recorded = created ? {} : interrupted ? undefined : prior?.ports;
      const ports = await allocatePorts(settings, names, stack, spec, recorded, true);
      const readOutputs = readResultsFromEvents(stack);
      record.ports = ports;
      const fingerprint = programFingerprint(spec, ports, settings.dockerHost, settings.stateId, identityOf(record));
      const replace = [
        ...(await vanishedContainers(settings, names, prior)),
        ...(req.replace ?? []).map((r) => resourceUrn(names.pulumiProject, names.stack, r.name, r.kind)),
      ];
      // A targeted update (one resource's spec change) also takes what depends on it, and what it replaces.
      const target = req.only?.length ? [...new Set([...req.only.map((r) => resourceUrn(names.pulumiProject, names.stack, r.name, r.kind)), ...replace])] : undefined;
      const program = environmentProgram({ spec, names, dockerHost: settings.dockerHost, ports, identity: identityOf(record) });
      abort.signal.throwIfAborted();
      await stack.up({
        program,
        replace,
        ...(target ? { target, targetDependents: true } : {}),
        color: 'never',
        signal: abort.signal,
        onEvent: run.onEvent,
        onOutput: (out) => {
          for (const line of out.split('\n')) if (line.trim()) send({ type: 'output', line });
        },
      });
      const partial = !!target && prior?.applied?.fingerprint !== fingerprint;
      const outputs = run.stackOutputs ?? (await readOutputs());
      const urls = (outputs.urls as Record<string, string> | undefined) ?? {};
      const containers = (outputs.containers as Record<string, string> | undefined) ?? {};
      const images = (outputs.images as Record<string, string> | undefined) ?? {};
      // Images a rebuild replaced were kept in case this up failed; it did not.
      await pruneDanglingImages(connectDocker(settings.dockerHost), { project: names.project, env: names.env, state: settings.stateId }).catch(() => undefined);
      writeRecord(settings.home, {
        ...record,
        urls,
        // A targeted update of a spec that changed since the last full up applies part of it: the
        // record says 'partial' (the next up runs Pulumi; promotion refuses it). Targeting a
        // resource that only drifted in reality, on an unchanged spec, leaves the whole spec applied.
        applied: { fingerprint: partial ? 'partial' : fingerprint, containers, images, commit: req.commit },
        // What runs: the spec, or after a partial update its entries for what was targeted and the
        // last ones for the rest (health checks and restart use it).
        ran: partial && prior?.ran ? mergeRan(prior.ran, spec, req.only ?? []) : { services: spec.services, databases: spec.databases, data: spec.data, mocks: spec.mocks },
        updatedAt: nowIso(),
        lastOperation: { op: 'up', status: 'succeeded', at: nowIso() },
      });
      return {
        project: names.project,
        env: names.env,
        branch: names.branch,
        stack: names.stack,
        urls,
        changes: run.changes,
      };
    } catch (err) {
      if (SlipwayError.is(err, 'passphrase-invalid') || isWrongPassphrase(err, run.diagnostics)) {
        // Pulumi stopped before changing anything: the environment is as it was, not failed.
        restoreRecord(settings, names, prior);
        throw SlipwayError.is(err) ? err : wrongPassphraseError(settings.home, `Could not bring up branch "${names.branch}"`);
      }
      const cancelled = abort.signal.aborted;
      let message = cancelled ? 'cancelled' : failureMessage(run.diagnostics, err);
      const stage = isStageBranch(names.branch);
      const what = stage ? `Deploying to stage ${stage}` : `Preview of branch "${names.branch}"`;
      const again = stage ? 'promote (or roll back) again' : 'run `slipway up` again';
      if (!cancelled && firstUp && !req.keepOnFailure && opened) {
        // A first up that fails leaves nothing: no container, network, volume, image or stack.
        emit({ type: 'step', message: 'the first up failed: removing what it created (`slipway up --keep-on-failure` keeps it)' });
        let cleanupError: unknown;
        try {
          await removeEverything(settings, names, opened, run, { images: true });
          removeRecord(settings.home, names.project, names.env);
        } catch (e) {
          cleanupError = e ?? 'unknown error';
        }
        if (cleanupError === undefined) {
          throw new SlipwayError('operation-failed', `${what} failed: ${message}\nNothing was left behind: what this first up had created was removed.`, {
            hint: `Fix the cause and ${again}.${stage ? '' : ' (`slipway up --keep-on-failure` keeps what a failed first up creates, to look at.)'}`,
            cause: err,
          });
        }
        message += `\nRemoving what it had created failed too: ${failureMessage([], cleanupError)}`;
      }
      writeRecord(settings.home, {
        ...record,
        updatedAt: nowIso(),
        lastOperation: { op: 'up', status: cancelled ? 'cancelled' : 'failed', at: nowIso(), error: message },
      });
      if (cancelled) {
        throw new SlipwayError('operation-cancelled', `${what} was cancelled; what was made so far is recorded.`, {
          hint: stage ? `Promote (or roll back) again to finish it.` : 'Run `slipway up` again to finish it, or `slipway down` to remove it.',
        });
      }
      if (SlipwayError.is(err)) throw err;
      throw new SlipwayError('operation-failed', `${what} failed: ${message}`, {
        hint: firstUp ? `Fix the cause and ${again}, or run \`slipway down\` to remove what was kept.` : `Fix the cause and ${again}: it continues from what exists.`,
        cause: err,
      });
    }
  });
}

/**
 * Removes an environment: Pulumi's destroy and its stack, then anything labelled for it that the
 * state did not know (an interrupted create), and with `images` the images built for it.
 */
async function removeEverything(settings: WorkerSettings, names: EnvNames, stack: Stack | undefined, run: RunEvents, opts: { images: boolean }): Promise<SweepResult> {
  if (stack) {
    readResultsFromEvents(stack);
    abort.signal.throwIfAborted();
    await stack.destroy({
      color: 'never',
      signal: abort.signal,
      onEvent: run.onEvent,
      onOutput: (out) => {
        for (const line of out.split('\n')) if (line.trim()) send({ type: 'output', line });
      },
    });
    await stack.workspace.removeStack(names.stack);
  }
  const docker = connectDocker(settings.dockerHost);
  const sel = { project: names.project, env: names.env, state: settings.stateId };
  const removed = await sweepEnvironment(docker, sel);
  if (opts.images) await removeEnvironmentImages(docker, sel);
  else await pruneDanglingImages(docker, sel);
  return removed;
}

async function runDown(req: Extract<WorkerRequest, { op: 'down' }>): Promise<DownResult> {
  const { settings } = req;
  const names = envNames(req.project, req.branch, settings.stateId);
  return withEnvLock(settings, names, abort.signal, emit, async (staleLock) => {
    // A damaged record is left as it is until the environment is gone (then it is removed).
    const { record: prior, damaged } = inspectRecord(settings.home, names.project, names.env);
    if (damaged) emit({ type: 'step', message: `the environment's record is damaged (${damaged.message}); tearing down what its Docker labels and stack hold` });
    const interrupted = staleLock || !!damaged || prior?.lastOperation.status === 'running' || !!prior?.lastOperation.interrupted;
    if (prior) writeRecord(settings.home, { ...prior, updatedAt: nowIso(), lastOperation: { op: 'down', status: 'running', at: nowIso() } });
    const run = new RunEvents();
    try {
      const opened = await openStack(settings, names, false);
      if (opened && (interrupted || !prior)) await clearPendingOperations(opened.stack, settings.home, emit);
      // Anything labelled for this environment that the state did not know (an interrupted
      // create) goes too, so nothing is orphaned.
      const removed = await removeEverything(settings, names, opened?.stack, run, { images: false });
      const docker = connectDocker(settings.dockerHost);
      const stage = isStageBranch(names.branch);
      if (stage) {
        // The tags that kept this stage's releases' images (layers other tags use stay).
        for (const image of await docker.listImages({ filters: { reference: [`slipway/${names.project}-*:stage_${stage}-r*`] } })) {
          for (const tag of image.RepoTags ?? []) if (tag.includes(`:stage_${stage}-r`)) await docker.getImage(tag).remove().catch(() => undefined);
        }
      }
      removeRecord(settings.home, names.project, names.env);
      // Best effort: with the record gone, the ledger drops these reservations on its next read anyway.
      await releaseHostPorts(settings.home, names.project, names.env).catch(() => undefined);
      return { project: names.project, env: names.env, branch: names.branch, stack: names.stack, removed };
    } catch (err) {
      if (isWrongPassphrase(err, run.diagnostics)) {
        if (prior) restoreRecord(settings, names, prior);
        throw wrongPassphraseError(settings.home, `Could not tear down branch "${names.branch}"`);
      }
      const cancelled = abort.signal.aborted;
      const message = cancelled ? 'cancelled' : failureMessage(run.diagnostics, err);
      if (prior) {
        writeRecord(settings.home, { ...prior, updatedAt: nowIso(), lastOperation: { op: 'down', status: cancelled ? 'cancelled' : 'failed', at: nowIso(), error: message } });
      }
      if (cancelled) throw new SlipwayError('operation-cancelled', `Teardown of branch "${names.branch}" was cancelled.`, { hint: 'Run `slipway down` again to finish it.' });
      if (SlipwayError.is(err)) throw err;
      throw new SlipwayError('operation-failed', `Teardown of branch "${names.branch}" failed: ${message}`, {
        hint: 'Run `slipway down` again; it continues from what is left.',
        cause: err,
      });
    }
  });
}

/** The type prefix of every resource Slipway's program makes (`pulumiType` of any kind, less its name). */
const SLIPWAY_TYPE = `pulumi-nodejs:dynamic/${PULUMI_MODULE}:`;

/** Drift of an environment: its state against Docker, and its spec against its state. */
async function runDrift(req: Extract<WorkerRequest, { op: 'drift' }>): Promise<DriftReport> {
  const { spec, settings } = req;
  const names = envNames(spec.name, req.branch, settings.stateId);
  return withEnvLock(settings, names, abort.signal, emit, async () => {
    const base = { project: names.project, env: names.env, branch: names.branch, checkedAt: nowIso() };
    const opened = await openStack(settings, names, false);
    if (!opened) return { ...base, exists: false, drifted: false, items: [] };
    const { stack } = opened;
    const state = await stack.exportStack();
    const resources = ((state.deployment as { resources?: StateResource[] }).resources ?? []).filter((r) => r.type.startsWith(SLIPWAY_TYPE));
    const items = await realityDrift(connectDocker(settings.dockerHost), resources);
    const { record, damaged } = inspectRecord(settings.home, names.project, names.env);
    // The identity labels the containers carry: the record's, else (damaged) the labels' own.
    const identity = identityOf(record ?? (await labelledRecord(settings, names)));
    const ports = (!damaged && record?.ports) || (((await stack.outputs()).ports?.value as PortMap | undefined) ?? {});
    const missingPorts = Object.entries(declaredPorts(spec)).some(([o, cps]) => cps.some((cp) => ports[o]?.[String(cp)] === undefined));
    if (missingPorts || programFingerprint(spec, ports, settings.dockerHost, settings.stateId, identity) !== record?.applied?.fingerprint) {
      items.push(...(await specDrift(stack, spec, names, settings, missingPorts ? await allocatePorts(settings, names, stack, spec, ports, false) : ports, identity)));
    }
    return { ...base, exists: true, drifted: items.length > 0, items };
  });
}

/**
 * The input properties that differ between a step's old state and the new program. (A dynamic
 * provider's diff tells Pulumi whether to update or replace, not which properties differ.)
 */
function changedInputs(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
  const ignored = new Set(['__provider', 'providerVersion']);
  const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
  return [...keys].filter((k) => !ignored.has(k) && JSON.stringify(olds[k]) !== JSON.stringify(news[k])).sort();
}

/** What `up` would change, per resource and property, from a Pulumi preview. */
async function specDrift(stack: Stack, spec: Spec, names: EnvNames, settings: WorkerSettings, ports: PortMap, identity: EnvIdentity): Promise<DriftItem[]> {
  const items: DriftItem[] = [];
  const program = environmentProgram({ spec, names, dockerHost: settings.dockerHost, ports, identity });
  abort.signal.throwIfAborted();
  await stack.preview({
    program,
    color: 'never',
    signal: abort.signal,
    onEvent: (e) => {
      const m = e.resourcePreEvent?.metadata;
      // A replace shows as three steps (delete-replaced, replace, create-replacement): report it once.
      if (!m || !m.type.startsWith(SLIPWAY_TYPE) || !['create', 'delete', 'update', 'replace'].includes(m.op)) return;
      const resource = m.urn.split('::').pop() ?? m.urn;
      const kind = (m.type.split(':').pop() ?? m.type).replace(/^Docker/, '').toLowerCase();
      const entry = (property: string, declared: string, actual: string): DriftItem => ({ resource, kind, property, source: 'spec', declared, actual, remedies: ['reapply'] });
      if (m.op === 'create') items.push(entry('existence', 'present', 'missing'));
      else if (m.op === 'delete') items.push(entry('existence', 'absent (removed from the spec)', 'present'));
      else {
        const shown = changedInputs(m.old?.inputs ?? {}, m.new?.inputs ?? {});
        for (const k of shown) items.push(entry(k, showValue(m.new?.inputs?.[k]), showValue(m.old?.inputs?.[k])));
        // A secret input (a container's env holds a password) reaches the event masked on both
        // sides: the provider's diff still names it, and its values stay unshown.
        for (const k of new Set([...(m.diffs ?? []), ...(m.keys ?? [])])) {
          if (!shown.includes(k) && k !== 'providerVersion') items.push(entry(k, 'changed (secret, not shown)', 'previous (secret, not shown)'));
        }
      }
    },
  });
  return items;
}

/** Accepts reality: refreshes the state from the real Docker objects. */
async function runRefresh(req: Extract<WorkerRequest, { op: 'refresh' }>): Promise<DriftReport> {
  const { spec, settings } = req;
  const names = envNames(spec.name, req.branch, settings.stateId);
  await withEnvLock(settings, names, abort.signal, emit, async () => {
    const opened = await openStack(settings, names, false);
    if (!opened) throw new SlipwayError('stack-not-found', `Branch "${names.branch}" has no environment to accept drift into.`, { hint: 'Run `slipway up` first.' });
    const run = new RunEvents();
    readResultsFromEvents(opened.stack);
    abort.signal.throwIfAborted();
    const target = req.resources?.map((r) => resourceUrn(names.pulumiProject, names.stack, r.name, r.kind));
    await opened.stack.refresh({ color: 'never', signal: abort.signal, onEvent: run.onEvent, ...(target?.length ? { target } : {}) });
    const { record } = inspectRecord(settings.home, names.project, names.env);
    // The state now holds reality, not what the spec declares: the next check compares them.
    if (record?.applied) writeRecord(settings.home, { ...record, applied: { ...record.applied, fingerprint: 'accepted' }, updatedAt: nowIso() });
  });
  return runDrift({ ...req, op: 'drift' });
}

/** Sends the last message, then disconnects once it is handed over (queued messages are not dropped). */
function finish(msg: WorkerMessage): void {
  if (!process.connected) return;
  process.send?.(msg, undefined, {}, () => {
    if (process.connected) process.disconnect();
  });
}

async function run(request: WorkerRequest): Promise<void> {
  try {
    let result: WorkerResult;
    if (request.op === 'up') result = await runUp(request);
    else if (request.op === 'down') result = await runDown(request);
    else if (request.op === 'drift') result = await runDrift(request);
    else result = await runRefresh(request);
    finish({ type: 'result', result });
  } catch (caught) {
    // Drift and refresh read the stack's secrets too: a wrong passphrase is said as such.
    const err = !SlipwayError.is(caught) && isWrongPassphrase(caught) ? wrongPassphraseError(request.settings.home, `Could not read the stack of branch "${request.branch}"`) : caught;
    const e = SlipwayError.is(err)
      ? { reason: err.reason, message: err.message, hint: err.hint }
      : { reason: 'operation-failed' as const, message: err instanceof Error ? err.message : String(err) };
    finish({ type: 'error', error: e });
    process.exitCode = 1;
  }
}

process.on('message', (msg: ParentMessage) => {
  if (msg.type === 'run') void run(msg.request);
  else if (msg.type === 'cancel') abort.abort();
});
// The engine's process went away (killed): stop the Pulumi run cleanly rather than orphan it.
process.on('disconnect', () => abort.abort());
// An interrupt sent to the worker itself cancels cleanly, like the engine's cancel.
process.on('SIGINT', () => abort.abort());
