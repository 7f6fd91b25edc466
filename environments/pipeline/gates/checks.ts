/**
 * The `checks` gate: reads the GitHub check runs of the source commit
 * (`GET {apiUrl}/repos/{owner}/{repo}/commits/{commit}/check-runs`) and judges the required ones
 * (all of them when none are listed): `pending` while one is missing or not completed, `fail` when
 * one concluded other than success, neutral or skipped, `pass` otherwise. The token, read from the
 * gate's `tokenEnv` variable, is sent only to `apiUrl`, only over https to a host the user allowed
 * (./checks-hosts.ts), and never appears in results or errors.
 * Requests go through Octokit: every page of runs, and up to 3 retries of a 5xx or 429 answer.
 */
import { STATUS_CODES } from 'node:http';
import { Octokit } from '@octokit/core';
import { paginateRest } from '@octokit/plugin-paginate-rest';
import { retry } from '@octokit/plugin-retry';
import { RequestError } from '@octokit/request-error';
import type { GateSpec } from '../../spec/types';
import { allowedCheckHosts, checksEndpointRefusal } from './checks-hosts';
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
  const base = {
    repository: gate.repository,
    commit: ctx.commit,
    apiUrl: gate.apiUrl,
    authenticated: token !== undefined,
  };
  const allowedHosts = allowedCheckHosts(ctx.home);
  const refusal = checksEndpointRefusal(gate.apiUrl, allowedHosts);
  if (refusal) return outcome('fail', refusal, { ...base, allowedHosts });
  const fetched = await fetchCheckRuns(gate, ctx, token, run.signal);
  if ('state' in fetched) return { ...fetched, evidence: { ...base, ...fetched.evidence } };
  const runs = latestByName(fetched.runs);
  return judge(gate.required, runs, {
    ...base,
    runs: runs.map(({ name, status, conclusion }) => ({ name, status, conclusion })),
  });
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
  return outcome(
    'pass',
    `${wanted.length} check run${plural(wanted.length)} succeeded: ${wanted.join(', ')}`,
    evidence,
  );
}

/** When a check is re-run, GitHub keeps the old run: the newest (highest id) of each name counts. */
function latestByName(runs: CheckRun[]): CheckRun[] {
  const latest = new Map<string, CheckRun>();
  for (const r of runs) if ((latest.get(r.name)?.id ?? -Infinity) < r.id) latest.set(r.name, r);
  return [...latest.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Slipway's GitHub client: pagination and retries (5xx, 429) from Octokit's plugins. */
const GitHub = Octokit.plugin(guard, paginateRest, retry);

/**
 * Registered before the retry plugin, so it sees errors first: a request that got no answer at
 * all is not retried (the API is not there), and a page link to another host is refused (the
 * token goes to the gate's API only).
 */
function guard(octokit: Octokit, options: { baseUrl?: string; bearer?: string }): void {
  octokit.hook.before('request', (req) => {
    if (/^https?:\/\//.test(req.url) && !req.url.startsWith(`${options.baseUrl}/`))
      throw new Error(`refused to follow a page link to ${new URL(req.url).host}`);
    req.headers.accept = 'application/vnd.github+json';
    req.headers['x-github-api-version'] = '2022-11-28';
    if (options.bearer) req.headers.authorization = `Bearer ${options.bearer}`;
  });
  octokit.hook.error('request', (err) => {
    if (err instanceof RequestError && err.response === undefined)
      throw new Error(err.message, { cause: err.cause ?? err });
    throw err;
  });
}

/** How long the first retry waits; later ones wait 4, 9, ... times as long (the retry plugin's schedule). */
export const RETRY_BASE_MS = { value: 1000 };

/** All check runs of the commit (up to MAX_PAGES pages of 100), through Octokit. */
async function fetchCheckRuns(
  gate: ChecksGate,
  ctx: GateContext,
  token: string | undefined,
  signal: AbortSignal,
): Promise<{ runs: CheckRun[] } | GateOutcome> {
  const [owner, repo] = gate.repository.split('/');
  const github = new GitHub({
    baseUrl: gate.apiUrl,
    bearer: token,
    userAgent: 'slipway',
    request: { fetch: ctx.fetch, signal },
    retry: { retries: 3, retryAfterBaseValue: RETRY_BASE_MS.value },
  });
  const runs: CheckRun[] = [];
  try {
    const pages = github.paginate.iterator('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
      owner,
      repo,
      ref: ctx.commit,
      per_page: 100,
    });
    let page = 0;
    for await (const response of pages) {
      const list: unknown = response.data;
      if (!Array.isArray(list)) return outcome('fail', `${gate.apiUrl} answered without a check_runs list`, {});
      runs.push(...list.map(toCheckRun));
      if (++page >= MAX_PAGES) break;
    }
  } catch (err) {
    if (signal.aborted) throw err;
    if (err instanceof RequestError && err.response)
      return httpFailure(err.status, err.response.data, gate, token !== undefined);
    return outcome('fail', `could not reach ${gate.apiUrl}: ${errorText(err)}`, {});
  }
  return { runs };
}

function httpFailure(status: number, body: unknown, gate: ChecksGate, authenticated: boolean): GateOutcome {
  const text = typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
  const message = typeof text === 'string' ? text : '';
  const statusLine = `${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ''}`;
  const hint =
    status === 401 || status === 403 || status === 404
      ? authenticated
        ? `; check that the token in ${gate.tokenEnv} can read checks of ${gate.repository}`
        : `; set ${gate.tokenEnv} to a token that can read checks of ${gate.repository}`
      : '';
  return outcome('fail', `GitHub answered ${statusLine}${message ? `: ${message}` : ''}${hint}`, { status });
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
