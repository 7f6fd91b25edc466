/** How a Swarm stage's last rolling update ended, read from Swarm itself: what the audit log records beside a promotion (its rollout) or a failed one (Swarm's automatic rollback). */
import { connectDocker } from '../docker/engine';
import { readAudit } from './audit';
import { LABEL_ENV, LABEL_PROJECT, LABEL_ROLE, stageEnvName } from '../naming';
import type { StageSpec } from '../spec/types';

export interface ServiceRollout {
  service: string;
  /** Swarm's UpdateStatus.State: updating, completed, paused, rollback_started, rollback_completed, rollback_paused. */
  state: string;
  message?: string;
  startedAt?: string;
  completedAt?: string;
  /** A rollback Swarm started by itself (a failed update), not one asked for (`slipway rollback`). */
  automatic: boolean;
}

/** Swarm's message on a rollback it was asked for ("manually requested rollback"); any other rollback is its own. */
export function isAutomaticRollback(state: string, message: string | undefined): boolean {
  return state.startsWith('rollback_') && !/manually requested/i.test(message ?? '');
}

/**
 * The update status of each Swarm service of the stage (services never updated have none and are
 * left out). Swarm's message tells a rollback asked for only while it runs ("manually requested
 * rollback"); once it completed, the audit log in `home` does: `slipway rollback` records it.
 */
export async function stageRollouts(project: string, stage: StageSpec, home?: string): Promise<ServiceRollout[]> {
  const asked = home ? swarmRollbacksAsked(home, project, stage.name) : [];
  const docker = connectDocker(stage.dockerHost ?? '');
  const services = await docker.listServices({
    filters: { label: [`${LABEL_PROJECT}=${project}`, `${LABEL_ENV}=${stageEnvName(stage.name)}`] },
  });
  return services
    .filter((s) => s.UpdateStatus?.State && s.Spec?.Labels?.[LABEL_ROLE] !== 'entry')
    .map((s) => ({
      service: s.Spec?.Labels?.['dev.slipway.service'] ?? s.Spec?.Name ?? s.ID,
      state: s.UpdateStatus!.State!,
      message: s.UpdateStatus?.Message,
      startedAt: s.UpdateStatus?.StartedAt,
      completedAt: s.UpdateStatus?.CompletedAt,
      automatic:
        isAutomaticRollback(s.UpdateStatus!.State!, s.UpdateStatus?.Message) &&
        !asked.some((at) => askedFor(at, s.UpdateStatus?.StartedAt)),
    }));
}

/** When `slipway rollback` asked Swarm for its rollback of the stage (the audit entries' times, taken before it asked). */
function swarmRollbacksAsked(home: string, project: string, stage: string): number[] {
  return readAudit(home, project)
    .filter((e) => e.action === 'rollback' && e.stage === stage && /by Swarm's own rollback/.test(e.note ?? ''))
    .map((e) => Date.parse(e.at));
}

/** A rollback that started within ten minutes after a `slipway rollback` began was the one it asked for. */
function askedFor(at: number, startedAt: string | undefined): boolean {
  const started = startedAt ? Date.parse(startedAt) : NaN;
  return started >= at - 1000 && started - at < 10 * 60_000;
}

/** The services Swarm rolled back in an update that started at or after `since` (ms). */
export async function automaticRollbacks(project: string, stage: StageSpec, since: number): Promise<ServiceRollout[]> {
  if (!stage.swarm) return [];
  const all = await stageRollouts(project, stage).catch(() => []);
  return all.filter(
    (r) => r.state.startsWith('rollback_') && r.startedAt !== undefined && Date.parse(r.startedAt) >= since - 1000,
  );
}

/** One line on the rollouts of a Swarm stage, for the audit log: "web: completed (rolling update started ...)". */
export function rolloutNote(rollouts: ServiceRollout[]): string {
  return rollouts
    .map((r) => `${r.service}: ${r.state.replace(/_/g, ' ')}${r.message ? ` (${r.message})` : ''}`)
    .join('; ');
}
