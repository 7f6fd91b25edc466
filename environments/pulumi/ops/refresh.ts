/** The stack worker's refresh: accepts reality into the state (the drift remedy \`accept\`), then checks drift again. */
import { SlipwayError } from '../../errors';
import { envNames } from '../../naming';
import type { DriftReport } from '../../pipeline/drift';
import { inspectRecord, writeRecord } from '../../records';
import { abort, emit } from '../channel';
import { resourceUrn } from '../fingerprint';
import type { WorkerRequest } from '../protocol';
import { withEnvLock } from '../recovery';
import { RunEvents } from '../run-events';
import { nowIso } from '../run-state';
import { openStack, readResultsFromEvents } from '../workspace';
import { runDrift } from './drift';

/** Accepts reality: refreshes the state from the real Docker objects. */
export async function runRefresh(req: Extract<WorkerRequest, { op: 'refresh' }>): Promise<DriftReport> {
  const { spec, settings } = req;
  const names = envNames(spec.name, req.branch, settings.stateId);
  await withEnvLock(settings, names, abort.signal, emit, async () => {
    const opened = await openStack(settings, names, false);
    if (!opened)
      throw new SlipwayError('stack-not-found', `Branch "${names.branch}" has no environment to accept drift into.`, {
        hint: 'Run `slipway up` first.',
      });
    const run = new RunEvents();
    readResultsFromEvents(opened.stack);
    abort.signal.throwIfAborted();
    const target = req.resources?.map((r) => resourceUrn(names.pulumiProject, names.stack, r.name, r.kind));
    await opened.stack.refresh({
      color: 'never',
      signal: abort.signal,
      onEvent: run.onEvent,
      ...(target?.length ? { target } : {}),
    });
    const { record } = inspectRecord(settings.home, names.project, names.env);
    // The state now holds reality, not what the spec declares: the next check compares them.
    if (record?.applied)
      writeRecord(settings.home, {
        ...record,
        applied: { ...record.applied, fingerprint: 'accepted' },
        updatedAt: nowIso(),
      });
  });
  return runDrift({ ...req, op: 'drift' });
}
