// Quota use for the editor: the same report `slipway list` prints, read for a workspace, and its short header text ("2/3 mine · 4/10 host").
import { connectDocker } from '../docker/engine';
import type { LocalEnvironments } from '../engine';
import { currentActor } from '../git';
import { quotaReport } from './admit';
import type { QuotaUse } from './check';

export interface QuotaSummary {
  /** Who "mine" is: the git user.email of the workspace. */
  owner: string;
  uses: QuotaUse[];
}

/** The use of every limit in force for the workspace at `workspaceDir` and its project, as the CLI computes it. */
export async function quotaSummary(
  envs: Pick<LocalEnvironments, 'home' | 'stateId' | 'dockerHost'>,
  workspaceDir: string,
  project: string | undefined,
): Promise<QuotaSummary> {
  const owner = await currentActor(workspaceDir);
  const uses = await quotaReport(
    { home: envs.home, stateId: envs.stateId, docker: connectDocker(envs.dockerHost) },
    workspaceDir,
    owner,
    project,
  );
  return { owner, uses };
}

/** A limit's short name for headers: `mine`, `project`, `host`, `host CPUs`, ... */
export const QUOTA_SHORT: Record<QuotaUse['key'], string> = {
  maxEnvironmentsPerUser: 'mine',
  maxEnvironmentsPerWorkspace: 'project',
  maxEnvironmentsPerHost: 'host',
  cpusPerEnvironment: 'CPUs per environment',
  memoryPerEnvironment: 'memory per environment',
  cpusPerHost: 'host CPUs',
  memoryPerHost: 'host memory',
};

/** `2/3 mine · 4/10 host · 3/8 host CPUs`: every limit in force with its use; empty when none is set. */
export function quotaHeader(uses: QuotaUse[]): string {
  return uses.map((u) => `${u.text.used}/${u.text.limit} ${QUOTA_SHORT[u.key]}`).join(' · ');
}

/** Limits used up (an `up` of a new environment would be refused by the count ones). */
export function fullLimits(uses: QuotaUse[]): QuotaUse[] {
  return uses.filter((u) => u.used >= u.limit.value);
}

/** One line per limit for a tooltip or message: what, use of limit, the setting and its file, who holds it. */
export function quotaLine(u: QuotaUse): string {
  return `${u.what}: ${u.text.used} of ${u.text.limit} (${u.limit.setting} in ${u.limit.source}); held by ${u.holders}`;
}
