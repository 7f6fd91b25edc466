/**
 * Everything the extension uses from the core, in one bundle (dist/extension/core.js) that is
 * loaded on first use, so activation never loads Docker, YAML or JSON Schema code.
 */
export { LocalEnvironments, type EnvironmentStatus, type UpResult, type DownResult } from '../environments/engine';
export { loadSpec, parseSpec } from '../environments/spec/load';
export { draftSpec } from '../environments/spec/init';
export { singleBraceWarnings } from '../environments/spec/braces';
export { nextStage } from '../environments/spec/pipeline';
export { LocalPipeline } from '../environments/pipeline/pipeline';
export { readReleases } from '../environments/pipeline/releases';
export { stageRollouts } from '../environments/pipeline/swarm-rollout';
export { SlipwayError, SpecError, formatSpecIssue } from '../environments/errors';
export { currentActor, currentBranch } from '../environments/git';
export { envName, envNames, isStageBranch, projectSlug, stageBranch } from '../environments/naming';
export { slipwayHome } from '../environments/paths';
export { watch } from 'chokidar';
export { watchItem } from '../environments/state/watch';
export { clearFaults, formatLogEntry, readLog, setFault } from '../environments/mocks/client';
export { writeUserSettings, SYNCED_SETTINGS } from '../environments/quotas/sync';
export { touch } from '../environments/quotas/ttl';
export { makeShareLink } from '../environments/share/link';
export { QUOTA_SHORT, quotaSummary, quotaHeader, fullLimits, quotaLine } from '../environments/quotas/summary';
export { readLimits } from '../environments/quotas/limits';
export { collectGarbage } from '../environments/quotas/gc';
export { stopWarmWorkers } from '../environments/engine/warm-client';
export { goneBranches } from '../environments/quotas/merged';
export { readShare, removeShare, tokenMatches } from '../environments/share/store';
export { liveGateway } from '../environments/share/supervise';
export { reseedDatabase, seedSummaries } from '../environments/data/reseed';
export { syncOnce } from '../environments/data/sync';
export { nextRun } from '../environments/spec/seed';
export { unsafeColumnIssues } from '../environments/data/check-issues';
export { SeedScheduler } from '../environments/data/schedule';
export { connectDocker } from '../environments/docker/engine';
export { describeProfile } from '../environments/pipeline/data-profile';
