import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DamagedFileError } from '../errors';
import { stateStore } from '../state/store';
import { checkFields, parseStoredJson } from '../stored';
import { checkSeal, sealEntry, writeCheckpoint } from './audit-seal';

/**
 * The audit log of a project's pipeline: every promotion, rollback, gate run, approval and
 * change to a stage outside promotion (reapply, accept, down), one JSON line each, appended and
 * never rewritten. Each entry carries the hash of the one before it and its own hash over its
 * content, signed with the host's audit key; a signed checkpoint beside the log records the
 * count and head (./audit-seal.ts). An entry edited, removed, reordered, appended by hand, the
 * last entries dropped or the whole file rewritten with recomputed hashes: `verifyAudit` names
 * the first entry concerned.
 */
export type AuditAction =
  | 'promote'
  | 'rollback'
  | 'rollback-emergency'
  | 'gates'
  | 'approve'
  | 'promote-refused'
  | 'promote-failed'
  /** Swarm rolled a stage's services back by itself: the new release failed its health check during the rollout. */
  | 'rollback-automatic'
  | 'stage-reapply'
  | 'stage-accept'
  | 'stage-down';

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: AuditAction;
  stage: string;
  /** Where the release came from: a branch environment or a stage. */
  from?: { kind: 'branch' | 'stage'; name: string; env: string; commit?: string };
  release?: number;
  /** Image ids (sha256 content digests) by service. */
  images?: Record<string, string>;
  gates?: Array<{ name: string; kind: string; state: string; reason: string }>;
  note?: string;
  prevHash: string;
  hash: string;
  /** The host audit key's signature over `hash`. */
  sig?: string;
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash' | 'sig'>;

export function auditPath(home: string, project: string): string {
  return join(home, 'audit', `${project}.jsonl`);
}

/** The log's name in the state store (a file under SLIPWAY_HOME, or the team's audit table). */
const auditRel = (project: string) => `audit/${project}.jsonl`;

function entryHash(entry: Omit<AuditEntry, 'hash' | 'sig'>): string {
  return createHash('sha256').update(JSON.stringify(entry)).digest('hex');
}

/** What to do about a damaged audit log: its entries are chained, so no line can be mended in place. */
const AUDIT_REMEDY =
  'restore it from a backup; or, if the history may be lost, move it aside (keep it as evidence): the next entry then starts a new log. Promotions, rollbacks, approvals and gate runs are refused until then';

const entryShape = (value: unknown) =>
  checkFields(value, {
    seq: 'number',
    at: 'string',
    actor: 'string',
    action: 'string',
    stage: 'string',
    prevHash: 'string',
    hash: 'string',
  });

/** Every entry, oldest first; a line that is not an entry (cut short, edited) is a DamagedFileError naming it. */
export function readAudit(home: string, project: string): AuditEntry[] {
  const store = stateStore(home);
  const file = store.where(auditRel(project));
  const text = store.readText(auditRel(project));
  if (text === undefined) return [];
  const entries: AuditEntry[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim()) entries.push(parseStoredJson<AuditEntry>(line, file, entryShape, AUDIT_REMEDY, i + 1));
  });
  return entries;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The first entry that does not chain, and why. */
  broken?: { seq: number; line: number; problem: string };
}

export function verifyAudit(home: string, project: string): AuditVerification {
  let entries: AuditEntry[];
  try {
    entries = readAudit(home, project);
  } catch (err) {
    if (!DamagedFileError.is(err)) throw err;
    return {
      ok: false,
      entries: 0,
      broken: { seq: err.line, line: err.line, problem: `${err.message} (${err.hint})` },
    };
  }
  let prev = '';
  for (let i = 0; i < entries.length; i++) {
    const { hash, sig: _sig, ...rest } = entries[i];
    if (rest.seq !== i + 1)
      return {
        ok: false,
        entries: entries.length,
        broken: {
          seq: rest.seq,
          line: i + 1,
          problem: `sequence ${rest.seq} where ${i + 1} was expected (an entry was removed or reordered)`,
        },
      };
    if (rest.prevHash !== prev)
      return {
        ok: false,
        entries: entries.length,
        broken: { seq: rest.seq, line: i + 1, problem: 'it does not chain to the entry before it' },
      };
    if (entryHash(rest) !== hash)
      return {
        ok: false,
        entries: entries.length,
        broken: { seq: rest.seq, line: i + 1, problem: 'its content does not match its hash (edited in place)' },
      };
    prev = hash;
  }
  const seal = checkSeal(home, project, entries);
  if (seal)
    return {
      ok: false,
      entries: entries.length,
      broken: { seq: seal.seq, line: Math.min(seal.seq, entries.length), problem: seal.problem },
    };
  return { ok: true, entries: entries.length };
}

/**
 * The entries of a log that can be appended to: readable, and intact (chain, signatures and
 * checkpoint). A new entry's signed checkpoint would otherwise vouch for a log that was cut short
 * or rewritten, so a broken log refuses every action that would be audited until it is dealt with.
 */
export function intactAudit(home: string, project: string): AuditEntry[] {
  const entries = readAudit(home, project);
  const v = verifyAudit(home, project);
  if (!v.ok && v.broken) {
    throw new DamagedFileError(
      stateStore(home).where(auditRel(project)),
      v.broken.line,
      `entry ${v.broken.seq}: ${v.broken.problem} (see slipway history --verify)`,
      AUDIT_REMEDY,
    );
  }
  return entries;
}

/**
 * Appends one entry (O_APPEND, fsync'd) chained to the last one, holding the project's audit
 * lock so two writers never chain to the same entry.
 */
export async function appendAudit(home: string, project: string, input: AuditInput): Promise<AuditEntry> {
  return stateStore(home).withLock(`${project}/audit`, `the audit log of ${project}`, 60_000, async () =>
    appendLocked(home, project, input),
  );
}

function appendLocked(home: string, project: string, input: AuditInput): AuditEntry {
  const existing = intactAudit(home, project);
  const last = existing[existing.length - 1];
  const base = { ...input, seq: (last?.seq ?? 0) + 1, prevHash: last?.hash ?? '' };
  const hash = entryHash(base);
  const entry: AuditEntry = { ...base, hash, sig: sealEntry(home, hash) };
  stateStore(home).appendLine(auditRel(project), JSON.stringify(entry));
  writeCheckpoint(home, project, existing.length + 1, hash);
  return entry;
}
