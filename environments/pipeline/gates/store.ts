/**
 * What gates leave behind under SLIPWAY_HOME, so that a reviewer later sees what the gates saw:
 * - `gates/<project>/<env>/<commit>.json`: the latest result of every gate evaluated for that
 *   commit of the environment, by stage and gate name;
 * - `approvals/<project>/<env>.jsonl`: every approval of the environment, one JSON object a line,
 *   append-only.
 */
import { writeFileAtomically } from '../../files';
import { join } from 'node:path';
import { stateStore } from '../../state/store';
import { checkEach, checkFields, readStoredJson } from '../../stored';
import type { GateResult } from './types';

/** One approval of promoting one commit of an environment into one stage. */
export interface Approval {
  project: string;
  env: string;
  commit: string;
  stage: string;
  /** Who approved (git user email or --as). */
  approver: string;
  /** ISO time. */
  at: string;
  comment?: string;
  /** The statement the approver signed (approvalStatement), kept to tell a stale approval from a forged one. */
  statement?: string;
  /** The armored SSH signature (namespace slipway-approval) over `statement`. */
  signature?: string;
}

interface ResultsFile {
  project: string;
  env: string;
  commit: string;
  results: GateResult[];
}

export function gateResultsPath(home: string, project: string, env: string, commit: string): string {
  return join(home, 'gates', segment(project), segment(env), `${segment(commit)}.json`);
}

export function approvalsPath(home: string, project: string, env: string): string {
  return join(home, approvalsRel(project, env));
}

/** The approvals' name in the state store (shared with the team in PostgreSQL). */
function approvalsRel(project: string, env: string): string {
  return `approvals/${segment(project)}/${segment(env)}.jsonl`;
}

/**
 * Stores `results` with those already stored for the commit. A result replaces the stored one of
 * the same stage and gate name unless the stored one started later (newest wins).
 */
export function saveGateResults(
  home: string,
  project: string,
  env: string,
  commit: string,
  results: GateResult[],
): void {
  const merged = new Map<string, GateResult>();
  const key = (r: GateResult): string => `${r.stage}\0${r.name}`;
  for (const r of loadGateResults(home, project, env, commit)) merged.set(key(r), r);
  for (const r of results) {
    const stored = merged.get(key(r));
    if (!stored || stored.startedAt <= r.startedAt) merged.set(key(r), r);
  }
  const file: ResultsFile = { project, env, commit, results: [...merged.values()] };
  writeFileAtomically(gateResultsPath(home, project, env, commit), JSON.stringify(file, null, 2) + '\n');
}

/** The stored results of a commit of an environment; none when no gate was evaluated for it. */
export function loadGateResults(home: string, project: string, env: string, commit: string): GateResult[] {
  const path = gateResultsPath(home, project, env, commit);
  const shape = (value: unknown) =>
    checkFields(value, { results: 'array' }) ??
    checkEach((value as ResultsFile).results, ['results'], (r, at) =>
      checkFields(r, { stage: 'string', name: 'string', kind: 'string', state: 'string', startedAt: 'string' }, at),
    );
  const file = readStoredJson<ResultsFile>(
    path,
    shape,
    'remove it and run the gates again (`slipway gates`): it only keeps their last results',
  );
  return file?.results ?? [];
}

/** Appends an approval to the environment's approvals file. */
export function recordApproval(home: string, approval: Approval): void {
  if (approval.approver.trim() === '') throw new TypeError('an approval needs an approver');
  const line: Approval = { ...approval };
  if (line.comment === undefined) delete line.comment;
  // One write of one line with O_APPEND: concurrent approvers never interleave.
  stateStore(home).appendLine(approvalsRel(approval.project, approval.env), JSON.stringify(line));
}

/** The approvals of `commit` of an environment for promotion into `stage`, oldest first (duplicates included). */
export function listApprovals(home: string, project: string, env: string, commit: string, stage: string): Approval[] {
  const text = stateStore(home).readText(approvalsRel(project, env));
  if (text === undefined) return [];
  return text
    .split('\n')
    .map(parseApproval)
    .filter((a): a is Approval => a !== undefined && a.commit === commit && a.stage === stage);
}

/** One line of an approvals file; undefined for a blank or damaged line (e.g. a write cut short). */
function parseApproval(line: string): Approval | undefined {
  if (line.trim() === '') return undefined;
  try {
    const value = JSON.parse(line) as Partial<Approval>;
    const ok = ['commit', 'stage', 'approver', 'at'].every((k) => typeof value[k as keyof Approval] === 'string');
    return ok ? (value as Approval) : undefined;
  } catch {
    return undefined;
  }
}

/** A project, environment or commit as one path segment; anything that could leave the folder is refused. */
function segment(name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new TypeError(`"${name}" cannot be used as a file name under SLIPWAY_HOME`);
  }
  return name;
}
