/** The engine's side of an operation's phases: the stack worker's phases merged, Docker time per resource kind from its events, and each new container's health wait. */
import type Docker from 'dockerode';
import type { SlipwayEvent } from '../events';
import { LABEL_ENV, LABEL_PROJECT, LABEL_SERVICE, LABEL_STATE } from '../naming';
import type { TimingCollector } from '../timings';

/** Short kinds as people say them: DockerContainer → container. */
function kindWord(kind: string): string {
  return kind
    .replace(/^Docker/, '')
    .replace(/^Generated/, '')
    .toLowerCase();
}

/**
 * Follows one operation's events: each resource's provider time (its Docker calls; for a
 * container, also its health wait) summed per kind, and when each container was done.
 */
export class WorkerEventTimings {
  /** Container resource name (its service) → when Pulumi reported it done (epoch ms). */
  readonly containerDone = new Map<string, number>();

  constructor(private readonly collector: TimingCollector) {}

  note(event: SlipwayEvent): void {
    if (event.type !== 'resource' || event.phase === 'started' || event.durationMs === undefined) return;
    if (event.op === 'same' || event.op === 'read') return;
    this.collector.add(`docker ${kindWord(event.kind)} (${event.op})`, event.durationMs);
    if (event.kind === 'DockerContainer' && event.phase === 'finished' && event.op !== 'delete')
      this.containerDone.set(event.name, Date.now());
  }

  /**
   * The health wait of each container this operation started: from Docker's start of it to
   * Pulumi's report that it was done (the provider returns once the container is healthy).
   * One list and one inspect per new container; only when someone collects timings.
   */
  async addHealthWaits(docker: Docker, sel: { project: string; env: string; state: string }): Promise<void> {
    if (this.containerDone.size === 0) return;
    const label = [`${LABEL_PROJECT}=${sel.project}`, `${LABEL_ENV}=${sel.env}`, `${LABEL_STATE}=${sel.state}`];
    const listed = await docker.listContainers({ all: true, filters: { label } }).catch(() => []);
    await Promise.all(
      listed.map(async (c) => {
        const done = this.containerDone.get(c.Labels?.[LABEL_SERVICE] ?? '');
        if (done === undefined) return;
        const info = await docker
          .getContainer(c.Id)
          .inspect()
          .catch(() => undefined);
        const started = Date.parse(info?.State?.StartedAt ?? '');
        if (Number.isFinite(started) && done >= started) this.collector.add('health wait', done - started);
      }),
    );
  }
}
