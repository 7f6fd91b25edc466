/** The stack worker's drift check: the state against Docker (reality), and the spec against the state (a Pulumi preview). */
import type { Stack } from '@pulumi/pulumi/automation';
import { PULUMI_MODULE } from '../../kinds';
import { envNames, type EnvNames } from '../../naming';
import { realityDrift, showValue, type DriftItem, type DriftReport, type StateResource } from '../../pipeline/drift';
import { inspectRecord } from '../../records';
import { connectDocker } from '../../docker/engine';
import type { Spec } from '../../spec/types';
import { abort, emit } from '../channel';
import { programFingerprint } from '../fingerprint';
import { declaredPorts, environmentProgram, type EnvIdentity, type PortMap } from '../program';
import type { WorkerRequest, WorkerSettings } from '../protocol';
import { withEnvLock } from '../recovery';
import { allocatePorts, identityOf, labelledRecord, nowIso } from '../run-state';
import { recordDeclaredView } from '../view-state';
import { openStack } from '../workspace';

/** The type prefix of every resource Slipway's program makes (`pulumiType` of any kind, less its name). */
const SLIPWAY_TYPE = `pulumi-nodejs:dynamic/${PULUMI_MODULE}:`;

/** Drift of an environment: its state against Docker, and its spec against its state. */
export async function runDrift(req: Extract<WorkerRequest, { op: 'drift' }>): Promise<DriftReport> {
  const { spec, settings } = req;
  const names = envNames(spec.name, req.branch, settings.stateId);
  return withEnvLock(settings, names, abort.signal, emit, async () => {
    const base = { project: names.project, env: names.env, branch: names.branch, checkedAt: nowIso() };
    const opened = await openStack(settings, names, false);
    if (!opened) return { ...base, exists: false, drifted: false, items: [] };
    const { stack } = opened;
    const state = await stack.exportStack();
    const resources = ((state.deployment as { resources?: StateResource[] }).resources ?? []).filter((r) =>
      r.type.startsWith(SLIPWAY_TYPE),
    );
    const items = await realityDrift(connectDocker(settings.dockerHost), resources);
    const { record, damaged } = inspectRecord(settings.home, names.project, names.env);
    // The identity labels the containers carry: the record's, else (damaged) the labels' own.
    const identity = identityOf(record ?? (await labelledRecord(settings, names)));
    const ports = (!damaged && record?.ports) || (((await stack.outputs()).ports?.value as PortMap | undefined) ?? {});
    const missingPorts = Object.entries(declaredPorts(spec)).some(([o, cps]) =>
      cps.some((cp) => ports[o]?.[String(cp)] === undefined),
    );
    const specChanged =
      missingPorts ||
      programFingerprint(spec, ports, settings.dockerHost, settings.stateId, identity) !== record?.applied?.fingerprint;
    if (!specChanged && !damaged && record?.applied && items.length === 0) {
      // Reality is what the state holds: kept as the declared view, the next check needs no Pulumi run.
      await recordDeclaredView(settings, names, record.applied.fingerprint, record.applied.containers, new Map(), true);
    }
    if (specChanged) {
      items.push(
        ...(await specDrift(
          stack,
          spec,
          names,
          settings,
          missingPorts ? await allocatePorts(settings, names, stack, spec, ports, false) : ports,
          identity,
        )),
      );
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
async function specDrift(
  stack: Stack,
  spec: Spec,
  names: EnvNames,
  settings: WorkerSettings,
  ports: PortMap,
  identity: EnvIdentity,
): Promise<DriftItem[]> {
  const items: DriftItem[] = [];
  const program = environmentProgram({
    home: settings.home,
    spec,
    names,
    dockerHost: settings.dockerHost,
    ports,
    identity,
  });
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
      const entry = (property: string, declared: string, actual: string): DriftItem => ({
        resource,
        kind,
        property,
        source: 'spec',
        declared,
        actual,
        remedies: ['reapply'],
      });
      if (m.op === 'create') items.push(entry('existence', 'present', 'missing'));
      else if (m.op === 'delete') items.push(entry('existence', 'absent (removed from the spec)', 'present'));
      else {
        const shown = changedInputs(m.old?.inputs ?? {}, m.new?.inputs ?? {});
        for (const k of shown) items.push(entry(k, showValue(m.new?.inputs?.[k]), showValue(m.old?.inputs?.[k])));
        // A secret input (a container's env holds a password) reaches the event masked on both
        // sides: the provider's diff still names it, and its values stay unshown.
        for (const k of new Set([...(m.diffs ?? []), ...(m.keys ?? [])])) {
          if (!shown.includes(k) && k !== 'providerVersion')
            items.push(entry(k, 'changed (secret, not shown)', 'previous (secret, not shown)'));
        }
      }
    },
  });
  return items;
}
