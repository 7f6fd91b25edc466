/**
 * The `checks` gate: reads the GitHub check runs of the source commit
 * (`GET {apiUrl}/repos/{owner}/{repo}/commits/{commit}/check-runs`) and judges the required ones
 * (all of them when none are listed): `pending` while one is missing or not completed, `fail` when
 * one concluded other than success, neutral or skipped, `pass` otherwise. The token, read from the
 * gate's `tokenEnv` variable, is sent only to `apiUrl` and never appears in results or errors.
 */
import type { GateSpec } from '../../spec/types';
import { errorText, outcome, type GateContext, type GateEvaluator, type GateOutcome } from './types';

/** Conclusions that let a promotion through. */
const GOOD_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);
/** A commit with more check runs than this many pages of 100 is read only that far. */
const MAX_PAGES = 10;

interface CheckRun {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
}

type ChecksGate = Extract<GateSpec, { kind: 'checks' }>;

export const checksGate: GateEvaluator<'checks'> = async (gate, ctx, run) => {
  const token = ctx.processEnv[gate.tokenEnv] || undefined;
  const base = { repository: gate.repository, commit: ctx.commit, apiUrl: gate.apiUrl, authenticated: token !== undefined };
  const fetched = await fetchCheckRuns(gate, ctx, token, run.signal);
  if ('state' in fetched) return { ...fetched, evidence: { ...base, ...fetched.evidence } };
  const runs = latestByName(fetched.runs);
  return judge(gate.required, runs, { ...base, runs: runs.map(({ name, status, conclusion }) => ({ name, status, conclusion })) });
};

/** Decides from the latest run of each name. */
function judge(required: string[], runs: CheckRun[], evidence: Record<string, unknown>): GateOutcome {
  const byName = new Map(runs.map((r) => [r.name, r]));
  const wanted = required.length > 0 ? required : [...byName.keys()];
  if (wanted.length === 0) return outcome('pending', 'no check runs are reported for this commit yet', evidence);
  const reported = wanted.map((n) => byName.get(n)).filter((r): r is CheckRun => r !== undefined);
  const failed = reported.filter((r) => r.status === 'completed' && !GOOD_CONCLUSIONS.has(String(r.conclusion)));
  const plural = (n: number): string => (n === 1 ? '' : 's');
  if (failed.length > 0) {
    const names = failed.map((r) => `${r.name} (${r.conclusion})`).join(', ');
    return outcome('fail', `check run${plural(failed.length)} ${names} did not succeed`, evidence);
  }
  const missing = wanted.filter((n) => !byName.has(n));
  const running = reported.filter((r) => r.status !== 'completed');
  if (missing.length > 0 || running.length > 0) {
    const parts = [
      ...running.map((r) => `${r.name} (${r.status.replace('_', ' ')})`),
      ...missing.map((n) => `${n} (not reported yet)`),
    ];
    return outcome('pending', `waiting for check run${plural(parts.length)} ${parts.join(', ')}`, evidence);
  }
  return outcome('pass', `${wanted.length} check run${plural(wanted.length)} succeeded: ${wanted.join(', ')}`, evidence);
}

/** When a check is re-run, GitHub keeps the old run: the newest (highest id) of each name counts. */
function latestByName(runs: CheckRun[]): CheckRun[] {
  const latest = new Map<string, CheckRun>();
  for (const r of runs) if ((latest.get(r.name)?.id ?? -Infinity) < r.id) latest.set(r.name, r);
  return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** All check runs of the commit, following `Link: rel="next"` pages on the same API host. */
async function fetchCheckRuns(
  gate: ChecksGate,
  ctx: GateContext,
  token: string | undefined,
  signal: AbortSignal,
): Promise<{ runs: CheckRun[] } | GateOutcome> {
  const [owner, repo] = gate.repository.split('/').map(encodeURIComponent);
  const first = `${gate.apiUrl}/repos/${owner}/${repo}/commits/${encodeURIComponent(ctx.commit)}/check-runs?per_page=100`;
  const headers: Record<string, string> = { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const runs: CheckRun[] = [];
  let url: string | undefined = first;
  for (let page = 0; url && page < MAX_PAGES; page++) {
    let response: Response;
    try {
      response = await ctx.fetch(url, { headers, signal });
    } catch (err) {
      if (signal.aborted) throw err;
      return outcome('fail', `could not reach ${gate.apiUrl}: ${errorText(err)}`, {});
    }
    if (!response.ok) return httpFailure(response, gate, token !== undefined);
    const body = (await response.json()) as { check_runs?: unknown };
    if (!Array.isArray(body.check_runs)) return outcome('fail', `${gate.apiUrl} answered without a check_runs list`, {});
    runs.push(...body.check_runs.map(toCheckRun));
    url = nextPage(response.headers.get('link'), gate.apiUrl);
  }
  return { runs };
}

async function httpFailure(response: Response, gate: ChecksGate, authenticated: boolean): Promise<GateOutcome> {
  const body = (await response.json().catch(() => undefined)) as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message : '';
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const hint =
    response.status === 401 || response.status === 403 || response.status === 404
      ? authenticated
        ? `; check that the token in ${gate.tokenEnv} can read checks of ${gate.repository}`
        : `; set ${gate.tokenEnv} to a token that can read checks of ${gate.repository}`
      : '';
  return outcome('fail', `GitHub answered ${status}${message ? `: ${message}` : ''}${hint}`, { status: response.status });
}

function toCheckRun(raw: unknown): CheckRun {
  const r = (raw ?? {}) as Record<string, unknown>;
  return {
    id: typeof r.id === 'number' ? r.id : 0,
    name: String(r.name ?? ''),
    status: String(r.status ?? 'unknown'),
    conclusion: typeof r.conclusion === 'string' ? r.conclusion : null,
  };
}

/** The `rel="next"` URL of a Link header, only when it points at the same API (the token goes nowhere else). */
function nextPage(link: string | null, apiUrl: string): string | undefined {
  const next = link?.split(',').find((part) => /;\s*rel="?next"?/.test(part));
  const url = next && /<([^>]+)>/.exec(next)?.[1];
  return url && url.startsWith(`${apiUrl}/`) ? url : undefined;
}
