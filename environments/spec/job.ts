/**
 * `services.<name>.job`: a one-off task (migrations, fixtures) that runs to completion instead of
 * serving. What its schema cannot check: a job has no ports or health check, and runs only where
 * containers run (not on a Swarm stage).
 */
import { isRecord, type Problem } from './source';

/** How long a job may run when its spec says nothing. */
export const DEFAULT_JOB_TIMEOUT = '10m';

export function jobProblems(data: Record<string, unknown>): Problem[] {
  const services = isRecord(data.services) ? data.services : {};
  const pipeline = isRecord(data.pipeline) ? data.pipeline : {};
  const swarm = (Array.isArray(pipeline.stages) ? pipeline.stages : []).find(
    (s): s is Record<string, unknown> => isRecord(s) && s.orchestrator === 'swarm',
  );
  const problems: Problem[] = [];
  for (const [name, raw] of Object.entries(services)) {
    if (!isRecord(raw) || !raw.job) continue;
    const at = (key: string) => ['services', name, key];
    if (Array.isArray(raw.ports) && raw.ports.length > 0)
      problems.push({
        path: at('ports'),
        at: 'key',
        message: `${name} is a job: it exits when done, so it publishes no ports; make it a service (no job) to serve them`,
      });
    if (raw.healthcheck !== undefined)
      problems.push({
        path: at('healthcheck'),
        at: 'key',
        message: `${name} is a job: it is done when it exits with code 0, so it has no health check`,
      });
    if (swarm)
      problems.push({
        path: at('job'),
        at: 'key',
        message: `${name} is a job, and the stage ${String(swarm.name)} runs on Docker Swarm, whose services restart when they exit: run the task from a service's start command there, or run that stage on Docker Engine`,
      });
  }
  return problems;
}
