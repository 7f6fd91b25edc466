/** The stack worker's \`up\`: brings an environment to its spec, records what it applied, and leaves nothing behind when a first up fails. */
import { AsyncResource } from 'node:async_hooks';
import type { Stack } from '@pulumi/pulumi/automation';
import { SlipwayError } from '../../errors';
import { envNames, isStageBranch } from '../../naming';
import { isWrongPassphrase, wrongPassphraseError } from '../../paths';
import { mergeRan, removeRecord, writeRecord, type EnvRecord } from '../../records';
import { connectDocker, pruneDanglingImages, sweepEnvironment } from '../../docker/engine';
import { removeView } from '../../docker/declared-view';
import { recordDeclaredView } from '../view-state';
import { abort, emit, sendOutput } from '../channel';
import { buildContextHashes, programFingerprint, resourceUrn } from '../fingerprint';
import { environmentProgram } from '../program';
import { loadProviderClosure } from '../provider-closure';
import type { UpResult, WorkerRequest } from '../protocol';
import { clearPendingOperations, withEnvLock } from '../recovery';
import { RunEvents, failureMessage } from '../run-events';
import { allocatePorts, identityOf, nowIso, priorRecord, restoreRecord, vanishedContainers } from '../run-state';
import { openStack, readResultsFromEvents } from '../workspace';
import { notePassphraseOpened } from '../secrets';
import { timePhase } from '../../timings';
import { removeEverything } from './down';
import { replacedAhead, restartUnreplaced, stopAhead, type AheadTarget } from './up-ahead';

export async function runUp(req: Extract<WorkerRequest, { op: 'up' }>): Promise<UpResult> {
  const { spec, settings } = req;
  const names = envNames(spec.name, req.branch, settings.stateId);
  return withEnvLock(settings, names, abort.signal, emit, async (staleLock) => {
    const { prior, damaged } = await priorRecord(settings, names);
    const interrupted =
      staleLock || damaged || prior?.lastOperation.status === 'running' || !!prior?.lastOperation.interrupted;
    const record: EnvRecord = {
      project: names.project,
      env: names.env,
      branch: names.branch,
      stack: names.stack,
      specFile: spec.file,
      ...(settings.dockerHost ? { dockerHost: settings.dockerHost } : {}),
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
      ttl: prior?.ttl,
      lastOperation: { op: 'up', status: 'running', at: nowIso() },
    };
    writeRecord(settings.home, record);
    const run = new RunEvents();
    // Never came up before (this is the first up, or every one before failed).
    const firstUp = !prior?.applied;
    let opened: Stack | undefined;
    let ahead: AheadTarget[] = [];
    let stopping: Promise<void> | undefined;
    /** What was stopped ahead of Pulumi and not replaced by it runs again. */
    const settleAhead = async () => {
      if (!stopping) return;
      await stopping;
      stopping = undefined;
      const started = await restartUnreplaced(connectDocker(settings.dockerHost), ahead).catch((err: unknown) => {
        emit({
          type: 'step',
          message: `starting again what was stopped ahead of Pulumi failed: ${(err as Error).message}`,
        });
        return [];
      });
      if (started.length) emit({ type: 'step', message: `not replaced, started again: ${started.join(', ')}` });
    };
    try {
      emit({ type: 'step', message: `opening stack ${names.pulumiProject}/${names.stack}` });
      // Read while the stack opens: the program's resources carry it.
      loadProviderClosure(settings.home).catch(() => undefined);
      let { stack, created } = (await openStack(settings, names, true))!;
      opened = stack;
      if (interrupted) await clearPendingOperations(stack, settings.home, emit);
      if (interrupted && firstUp && prior && !damaged && !created) {
        // A first up stopped midway can leave a database half made: PostgreSQL's first-run setup
        // (initdb, then its user and database) cut between the two leaves a data folder that later
        // starts as if set up, without them. Nothing a first up made was ever in use: start over.
        // Its containers first (the one being made when it stopped is in no state), then the stack.
        emit({ type: 'step', message: 'the interrupted first up starts over: removing what it had made' });
        const sel = { project: names.project, env: names.env, state: settings.stateId };
        await sweepEnvironment(connectDocker(settings.dockerHost), sel);
        await removeEverything(settings, names, stack, new RunEvents(), { images: false });
        ({ stack, created } = (await openStack(settings, names, true))!);
        opened = stack;
      }
      const recorded = created ? {} : interrupted ? undefined : prior?.ports;
      const ports = await allocatePorts(settings, names, stack, spec, recorded, true);
      const readOutputs = readResultsFromEvents(stack);
      record.ports = ports;
      const contexts = buildContextHashes(spec);
      const fingerprint = programFingerprint(
        spec,
        ports,
        settings.dockerHost,
        settings.stateId,
        identityOf(record),
        contexts,
      );
      const replace = await inStack(stack, [
        ...(await vanishedContainers(settings, names, prior)),
        ...(req.replace ?? []).map((r) => resourceUrn(names.pulumiProject, names.stack, r.name, r.kind)),
      ]);
      // A targeted update (one resource's spec change) also takes what depends on it, and what it replaces.
      const target = req.only?.length
        ? [
            ...new Set([
              ...req.only.map((r) => resourceUrn(names.pulumiProject, names.stack, r.name, r.kind)),
              ...replace,
            ]),
          ]
        : undefined;
      const program = environmentProgram({
        home: settings.home,
        spec,
        names,
        dockerHost: settings.dockerHost,
        ports,
        identity: identityOf(record),
        contextHashes: contexts,
      });
      // A branch's services that this run replaces are stopped while Pulumi's engine starts.
      ahead =
        interrupted || target || isStageBranch(names.branch)
          ? []
          : replacedAhead(prior, spec, contexts).filter(
              (t) => !replace.includes(resourceUrn(names.pulumiProject, names.stack, t.service, 'container')),
            );
      const docker = connectDocker(settings.dockerHost);
      const startAhead = AsyncResource.bind(() =>
        timePhase('docker stop ahead of Pulumi (replaced services)', () => stopAhead(docker, ahead)),
      );
      abort.signal.throwIfAborted();
      await stack.up({
        program,
        replace,
        ...(target ? { target, targetDependents: true } : {}),
        color: 'never',
        signal: abort.signal,
        onEvent: (event) => {
          // On the engine's prelude: Pulumi has opened the stack with the passphrase and holds its lock.
          if (ahead.length && !stopping && (event.preludeEvent || event.resourcePreEvent) && !abort.signal.aborted)
            stopping = startAhead();
          run.onEvent(event);
        },
        onOutput: sendOutput,
      });
      await settleAhead();
      // Pulumi opened the stack's secrets with this passphrase: a `down` in this (warm) worker need not check it again.
      notePassphraseOpened(settings.passphrase, settings.backendUrl, `${names.pulumiProject}/${names.stack}`);
      const partial = !!target && prior?.applied?.fingerprint !== fingerprint;
      const outputs = run.stackOutputs ?? (await readOutputs());
      const urls = (outputs.urls as Record<string, string> | undefined) ?? {};
      const containers = (outputs.containers as Record<string, string> | undefined) ?? {};
      const images = (outputs.images as Record<string, string> | undefined) ?? {};
      // Images a rebuild replaced were kept in case this up failed; it did not.
      await Promise.all([
        pruneDanglingImages(connectDocker(settings.dockerHost), {
          project: names.project,
          env: names.env,
          state: settings.stateId,
        }).catch(() => undefined),
        recordDeclaredView(settings, names, partial ? 'partial' : fingerprint, containers, run.ops),
      ]);
      writeRecord(settings.home, {
        ...record,
        urls,
        // A targeted update of a spec that changed since the last full up applies part of it: the
        // record says 'partial' (the next up runs Pulumi; promotion refuses it). Targeting a
        // resource that only drifted in reality, on an unchanged spec, leaves the whole spec applied.
        applied: {
          fingerprint: partial ? 'partial' : fingerprint,
          containers,
          images,
          commit: req.commit,
          ...(Object.keys(contexts).length ? { contexts } : {}),
        },
        // What runs: the spec, or after a partial update its entries for what was targeted and the
        // last ones for the rest (health checks and restart use it).
        ran:
          partial && prior?.ran
            ? mergeRan(prior.ran, spec, req.only ?? [])
            : { services: spec.services, databases: spec.databases, data: spec.data, mocks: spec.mocks },
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
      await settleAhead();
      if (SlipwayError.is(err, 'passphrase-invalid') || isWrongPassphrase(err, run.diagnostics)) {
        // Pulumi stopped before changing anything: the environment is as it was, not failed.
        restoreRecord(settings, names, prior);
        throw SlipwayError.is(err)
          ? err
          : wrongPassphraseError(settings.home, `Could not bring up branch "${names.branch}"`);
      }
      const cancelled = abort.signal.aborted;
      let message = cancelled ? 'cancelled' : failureMessage(run.diagnostics, err);
      const stage = isStageBranch(names.branch);
      const what = stage ? `Deploying to stage ${stage}` : `Preview of branch "${names.branch}"`;
      const again = stage ? 'promote (or roll back) again' : 'run `slipway up` again';
      if (!cancelled && firstUp && !req.keepOnFailure && opened) {
        // A first up that fails leaves nothing: no container, network, volume, image or stack.
        emit({
          type: 'step',
          message: 'the first up failed: removing what it created (`slipway up --keep-on-failure` keeps it)',
        });
        let cleanupError: unknown;
        try {
          await removeEverything(settings, names, opened, run, { images: true });
          removeRecord(settings.home, names.project, names.env);
          removeView(settings.home, names.project, names.env);
        } catch (e) {
          cleanupError = e ?? 'unknown error';
        }
        if (cleanupError === undefined) {
          throw new SlipwayError(
            'operation-failed',
            `${what} failed: ${message}\nNothing was left behind: what this first up had created was removed.`,
            {
              hint: `Fix the cause and ${again}.${stage ? '' : ' (`slipway up --keep-on-failure` keeps what a failed first up creates, to look at.)'}`,
              cause: err,
            },
          );
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
          hint: stage
            ? `Promote (or roll back) again to finish it.`
            : 'Run `slipway up` again to finish it, or `slipway down` to remove it.',
        });
      }
      if (SlipwayError.is(err)) throw err;
      throw new SlipwayError('operation-failed', `${what} failed: ${message}`, {
        hint: firstUp
          ? `Fix the cause and ${again}, or run \`slipway down\` to remove what was kept.`
          : `Fix the cause and ${again}: it continues from what exists.`,
        cause: err,
      });
    }
  });
}

/**
 * The URNs of `urns` that the stack holds: Pulumi refuses to replace (or target) one it does not,
 * and one it does not hold is created by the run anyway. A `down` that failed midway leaves such a
 * state (Pulumi's deletes of some resources recorded, the record and view still listing them).
 * Reads the stack only when there is something to replace.
 */
async function inStack(stack: Stack, urns: string[]): Promise<string[]> {
  if (urns.length === 0) return urns;
  const held = new Set(((await stack.exportStack()).deployment?.resources ?? []).map((r: { urn: string }) => r.urn));
  return urns.filter((u) => held.has(u));
}
