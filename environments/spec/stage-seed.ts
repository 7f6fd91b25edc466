/** `pipeline.stages[].seed` (same | none): the checks its schema cannot express; the loader positions each problem at the field. */
import type { PipelineProblem } from './pipeline';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `seed` on the first stage (previews seed from `databases.<name>.seed`), `same` on a Swarm stage, and `same` with no seeded database to carry. */
export function stageSeedProblems(data: Record<string, unknown>): PipelineProblem[] {
  const pipeline = data.pipeline;
  if (!isRecord(pipeline) || !Array.isArray(pipeline.stages)) return [];
  const databases = isRecord(data.databases) ? Object.values(data.databases) : [];
  const seeded = databases.some((d) => isRecord(d) && d.seed !== undefined);
  const problems: PipelineProblem[] = [];
  pipeline.stages.forEach((stage: unknown, i) => {
    if (!isRecord(stage) || stage.seed === undefined) return;
    const path = ['pipeline', 'stages', i, 'seed'];
    if (i === 0)
      problems.push({
        path,
        at: 'key',
        message:
          'the first stage runs the branch previews, which are seeded by databases.<name>.seed: put `seed` on a later stage',
      });
    else if (stage.seed === 'same' && stage.orchestrator === 'swarm')
      problems.push({
        path,
        at: 'value',
        message:
          'a Swarm stage is not seeded: its databases start empty (their data stays across promotions); write seed: none, or seed a stage that runs containers (no orchestrator: swarm)',
      });
    else if (stage.seed === 'same' && !seeded)
      problems.push({
        path,
        at: 'value',
        message:
          'no database of this spec has a seed to carry into the stage: add databases.<name>.seed: { source, policy }, or write seed: none',
      });
  });
  return problems;
}
