/** The engine's side of an operation's phases: the stack worker's phases merged, Docker time per resource kind from its events, and each new container's health wait. */
import type Docker from 'dockerode';
import type { SlipwayEvent } from '../events';
import { envNames } from '../naming';
import type { WorkerRequest } from '../pulumi/protocol';
import type { TimingCollector } from '../timings';

/** Short kinds as people say them: DockerContainer → container. */
function kindWord(kind: string): string {
  return kind
    .replace(/^Docker/, '')
    .replace(/^Generated/, '')
    .toLowerCase();
}

interface HealthSource {
  docker: Docker;
  /** The Docker name of a container resource's container. */
  container: (resource: string) => string;
}

/**
 * Follows one operation's events: each resource's provider time (its Docker calls; for a
 * container, also its health wait) summed per kind, and each new container's health wait on its own.
 */
export class WorkerEventTimings {
  /** Each new container's health wait, read while the operation goes on. */
  private readonly waits: Array<Promise<void>> = [];
  /** Where containers' health waits are read: an `up` on the engine this process talks to (same clock). */
  private readonly health?: HealthSource;

  constructor(
    private readonly collector: TimingCollector,
    request?: WorkerRequest,
    engine?: { docker: Docker; dockerHost: string; stateId: string },
  ) {
    if (request?.op === 'up' && engine && request.settings.dockerHost === engine.dockerHost) {
      const names = envNames(request.spec.name, request.branch, engine.stateId);
      this.health = { docker: engine.docker, container: (resource) => names.container(resource) };
    }
  }

  note(event: SlipwayEvent): void {
    if (event.type !== 'resource' || event.phase === 'started' || event.durationMs === undefined) return;
    if (event.op === 'same' || event.op === 'read') return;
    this.collector.add(`docker ${kindWord(event.kind)} (${event.op})`, event.durationMs);
    if (this.health && event.kind === 'DockerContainer' && event.phase === 'finished' && event.op !== 'delete')
      this.waits.push(this.healthWait(this.health, event.name, Date.now()));
  }

  /**
   * The health wait of a container the operation started: from Docker's start of it to Pulumi's
   * report that it was done (the provider returns once the container is healthy). One inspect,
   * as soon as it is reported, and only when someone collects timings.
   */
  private async healthWait(health: HealthSource, resource: string, done: number): Promise<void> {
    const info = await health.docker
      .getContainer(health.container(resource))
      .inspect()
      .catch(() => undefined);
    const started = Date.parse(info?.State?.StartedAt ?? '');
    if (Number.isFinite(started) && done >= started) this.collector.add('health wait', done - started);
  }

  /** Once the operation has answered: the health waits still being read. */
  async settled(): Promise<void> {
    await Promise.all(this.waits);
  }
}
