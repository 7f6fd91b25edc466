/** The stack worker's \`down\`: destroys an environment's stack and sweeps whatever is labelled for it. */
import { AsyncResource } from 'node:async_hooks';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Stack } from '@pulumi/pulumi/automation';
import { SlipwayError } from '../../errors';
import { envNames, isStageBranch, type EnvNames } from '../../naming';
import { isWrongPassphrase, wrongPassphraseError } from '../../paths';
import { releaseHostPorts } from '../../ports';
import { inspectRecord, removeRecord, writeRecord } from '../../records';
import {
  connectDocker,
  pruneDanglingImages,
  removeEnvironmentImages,
  sweepEnvironment,
  teardownAhead,
  type SweepResult,
} from '../../docker/engine';
import { removeView } from '../../docker/declared-view';
import { abort, emit, sendOutput } from '../channel';
import type { DownResult, WorkerRequest, WorkerSettings } from '../protocol';
import { clearPendingOperations, withEnvLock } from '../recovery';
import { RunEvents, failureMessage } from '../run-events';
import { passphraseOpensStack } from '../secrets';
import { nowIso, restoreRecord } from '../run-state';
import { timePhase } from '../../timings';
import { destroyAndRemove } from '../stack-handle';
import { openStack, readResultsFromEvents } from '../workspace';

/**
 * Removes an environment: Pulumi's destroy and its stack, then anything labelled for it that the
 * state did not know (an interrupted create), and with `images` the images built for it.
 */
export async function removeEverything(
  settings: WorkerSettings,
  names: EnvNames,
  stack: Stack | undefined,
  run: RunEvents,
  opts: { images: boolean; ahead?: boolean },
): Promise<SweepResult> {
  const docker = connectDocker(settings.dockerHost);
  const sel = { project: names.project, env: names.env, state: settings.stateId };
  if (stack) {
    readResultsFromEvents(stack);
    abort.signal.throwIfAborted();
    // The Docker work starts while Pulumi's engine does (Pulumi's deletes then find it done), once
    // a destroy Pulumi would refuse (a wrong passphrase, a locked stack) is ruled out, so that one
    // changes nothing: on the engine's prelude (Pulumi has opened the stack's state with the
    // passphrase and holds its lock by then), or at once when the passphrase is known to open the
    // stack and no lock is held on it (a file backend; see ../secrets.ts).
    let ahead: Promise<void> | undefined;
    let settled = false;
    // Bound here: engine events arrive outside this operation's context, where its timings are kept.
    const startAhead = AsyncResource.bind(() => {
      if (!ahead && !settled && !abort.signal.aborted)
        ahead = timePhase('docker teardown ahead of Pulumi', () => teardownAhead(docker, sel)).catch(() => undefined);
    });
    const early = opts.ahead ? earlyStart(settings, names).then((ok) => ok && startAhead()) : undefined;
    const onEvent: typeof run.onEvent = (event) => {
      if (opts.ahead && (event.preludeEvent || event.resourcePreEvent)) startAhead();
      run.onEvent(event);
    };
    try {
      await destroyAndRemove(stack, {
        color: 'never',
        signal: abort.signal,
        onEvent,
        onOutput: sendOutput,
      });
    } finally {
      settled = true;
      await early?.catch(() => undefined);
      await ahead;
    }
  }
  return timePhase('docker sweep after Pulumi', async () => {
    const removed = await sweepEnvironment(docker, sel);
    if (opts.images) await removeEnvironmentImages(docker, sel);
    else await pruneDanglingImages(docker, sel);
    return removed;
  });
}

/**
 * Whether `down`'s head start may begin before Pulumi's prelude: the passphrase opens the stack's
 * secrets and no Pulumi lock is held on it (another Pulumi process at work on it).
 */
async function earlyStart(settings: WorkerSettings, names: EnvNames): Promise<boolean> {
  if (!settings.backendUrl.startsWith('file://')) return false;
  const root = join(settings.backendUrl.slice('file://'.length), '.pulumi');
  const locks = join(root, 'locks', 'organization', names.pulumiProject, names.stack);
  if (existsSync(locks) && readdirSync(locks).length > 0) return false;
  return (
    (await passphraseOpensStack(settings.passphrase, settings.backendUrl, `${names.pulumiProject}/${names.stack}`)) ===
    true
  );
}

export async function runDown(req: Extract<WorkerRequest, { op: 'down' }>): Promise<DownResult> {
  const { settings } = req;
  const names = envNames(req.project, req.branch, settings.stateId);
  return withEnvLock(settings, names, abort.signal, emit, async (staleLock) => {
    // A damaged record is left as it is until the environment is gone (then it is removed).
    const { record: prior, damaged } = inspectRecord(settings.home, names.project, names.env);
    if (damaged)
      emit({
        type: 'step',
        message: `the environment's record is damaged (${damaged.message}); tearing down what its Docker labels and stack hold`,
      });
    const interrupted =
      staleLock || !!damaged || prior?.lastOperation.status === 'running' || !!prior?.lastOperation.interrupted;
    if (prior)
      writeRecord(settings.home, {
        ...prior,
        updatedAt: nowIso(),
        lastOperation: { op: 'down', status: 'running', at: nowIso() },
      });
    const run = new RunEvents();
    try {
      const opened = await openStack(settings, names, false);
      if (opened && (interrupted || !prior)) await clearPendingOperations(opened.stack, settings.home, emit);
      // Anything labelled for this environment that the state did not know (an interrupted
      // create) goes too, so nothing is orphaned.
      // A branch's environment is removed ahead of Pulumi's destroy; a stage's (its releases,
      // its Swarm services) only by Pulumi's deletes, in their order.
      const removed = await removeEverything(settings, names, opened?.stack, run, {
        images: false,
        ahead: !isStageBranch(names.branch),
      });
      const docker = connectDocker(settings.dockerHost);
      const stage = isStageBranch(names.branch);
      if (stage) {
        // The tags that kept this stage's releases' images (layers other tags use stay).
        for (const image of await docker.listImages({
          // Those pulled through a stage's registry carry its host (and path) before the name.
          filters: {
            reference: ['', '*/', '*/*/'].map((at) => `${at}slipway/${names.project}-*:stage_${stage}-r*`),
          },
        })) {
          for (const tag of image.RepoTags ?? [])
            if (tag.includes(`:stage_${stage}-r`))
              await docker
                .getImage(tag)
                .remove()
                .catch(() => undefined);
        }
      }
      removeRecord(settings.home, names.project, names.env);
      removeView(settings.home, names.project, names.env);
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
        writeRecord(settings.home, {
          ...prior,
          updatedAt: nowIso(),
          lastOperation: { op: 'down', status: cancelled ? 'cancelled' : 'failed', at: nowIso(), error: message },
        });
      }
      if (cancelled)
        throw new SlipwayError('operation-cancelled', `Teardown of branch "${names.branch}" was cancelled.`, {
          hint: 'Run `slipway down` again to finish it.',
        });
      if (SlipwayError.is(err)) throw err;
      throw new SlipwayError('operation-failed', `Teardown of branch "${names.branch}" failed: ${message}`, {
        hint: 'Run `slipway down` again; it continues from what is left.',
        cause: err,
      });
    }
  });
}
