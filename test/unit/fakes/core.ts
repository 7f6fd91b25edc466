/**
 * A stand-in for extension/core.ts (what `core()` loads): the real naming and errors, and a
 * pipeline whose stored gates, releases and gate runs the test sets. Pointed at through
 * `SLIPWAY_CORE` by the host tests.
 */
export { isStageBranch, projectSlug, stageBranch } from '../../../environments/naming';
export { SlipwayError } from '../../../environments/errors';
export { nextStage } from '../../../environments/spec/pipeline';
export { describeProfile } from '../../../environments/pipeline/data-profile';
export { seedSummaries } from '../../../environments/data/reseed';
export { unsafeColumnIssues } from '../../../environments/data/check-issues';

interface Result {
  stage: string;
  name: string;
  kind: string;
  state: 'pass' | 'fail' | 'pending' | 'skipped';
  reason: string;
  evidence: Record<string, unknown>;
  startedAt: string;
  durationMs: number;
}

/** What the fake pipeline answers; the test sets it. */
export const fake = {
  stored: [] as Result[],
  /** The results a gate run gives, each streamed as a `gate` event first. */
  run: [] as Result[],
  releases: {} as Record<
    string,
    {
      releases: Array<{
        number: number;
        at: string;
        by: string;
        from: { kind: 'branch' | 'stage'; name: string; env: string; commit?: string };
      }>;
      current?: number;
    }
  >,
};

/** A Swarm stage's rollouts, by stage; the test sets them. */
export const rollouts: Record<string, unknown[]> = {};

export async function stageRollouts(_project: string, stage: { name: string }): Promise<unknown[]> {
  return rollouts[stage.name] ?? [];
}

export class LocalPipeline {
  storedGates(_spec: unknown, _from: unknown, to: string): Result[] {
    return fake.stored.filter((r) => r.stage === to);
  }
  async gates(_spec: unknown, _from: unknown, to: string, opts: { onEvent?: (e: unknown) => void }): Promise<Result[]> {
    const results = fake.run.filter((r) => r.stage === to);
    for (const r of results) {
      await new Promise((resolve) => setImmediate(resolve));
      opts.onEvent?.({
        type: 'gate',
        stage: r.stage,
        name: r.name,
        kind: r.kind,
        state: r.state,
        reason: r.reason,
        durationMs: r.durationMs,
      });
    }
    fake.stored = [...fake.stored.filter((r) => r.stage !== to), ...results];
    return results;
  }
}

export function readReleases(_home: string, project: string, stage: string) {
  const r = fake.releases[stage];
  return { project, stage, releases: r?.releases ?? [], current: r?.current };
}

export async function currentActor(): Promise<string> {
  return 'dev@example.com';
}

/** chokidar's `watch`: nothing changes on its own in these tests. */
export function watch() {
  return { on: () => undefined, close: async () => undefined };
}

/** `watchItem`: no stored item changes on its own in these tests. */
export function watchItem() {
  return { close: async () => undefined };
}
export { QUOTA_SHORT } from '../../../environments/quotas/summary';

/** What the fake garbage collection was asked, and how long each run takes (the test sets it). */
export const gcRuns = { calls: 0, defaultTtlMs: [] as Array<number | undefined>, release: [] as Array<() => void> };

/** `collectGarbage`: counts the runs; each ends when the test releases it. */
export async function collectGarbage(_envs: unknown, opts: { defaultTtlMs?: number }) {
  gcRuns.calls++;
  gcRuns.defaultTtlMs.push(opts.defaultTtlMs);
  await new Promise<void>((resolve) => gcRuns.release.push(resolve));
  return { at: '', dryRun: false, expired: [], orphans: [] };
}

export function readLimits() {
  return { limits: {}, ttl: { ms: 7_200_000, source: '/home/settings.json' }, sources: [] };
}
