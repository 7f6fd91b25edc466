import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { acquireLock } from '../lock';

/**
 * The audit log of a project's pipeline: every promotion, rollback and gate run, one JSON
 * line each, appended and never rewritten. Each entry carries the hash of the one before it
 * and its own hash over its content, so an entry edited, removed or reordered in place breaks
 * the chain and `verifyAudit` says where.
 */
export type AuditAction = 'promote' | 'rollback' | 'gates' | 'approve' | 'promote-refused' | 'promote-failed';

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
}

export type AuditInput = Omit<AuditEntry, 'seq' | 'prevHash' | 'hash'>;

export function auditPath(home: string, project: string): string {
  return join(home, 'audit', `${project}.jsonl`);
}

function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(JSON.stringify(entry)).digest('hex');
}

export function readAudit(home: string, project: string): AuditEntry[] {
  const file = auditPath(home, project);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditEntry);
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
    return { ok: false, entries: 0, broken: { seq: -1, line: 0, problem: `not valid JSON lines: ${(err as Error).message}` } };
  }
  let prev = '';
  for (let i = 0; i < entries.length; i++) {
    const { hash, ...rest } = entries[i];
    if (rest.seq !== i + 1) return { ok: false, entries: entries.length, broken: { seq: rest.seq, line: i + 1, problem: `sequence ${rest.seq} where ${i + 1} was expected (an entry was removed or reordered)` } };
    if (rest.prevHash !== prev) return { ok: false, entries: entries.length, broken: { seq: rest.seq, line: i + 1, problem: 'it does not chain to the entry before it' } };
    if (entryHash(rest) !== hash) return { ok: false, entries: entries.length, broken: { seq: rest.seq, line: i + 1, problem: 'its content does not match its hash (edited in place)' } };
    prev = hash;
  }
  return { ok: true, entries: entries.length };
}

/**
 * Appends one entry (O_APPEND, fsync'd) chained to the last one, holding the project's audit
 * lock so two writers never chain to the same entry.
 */
export async function appendAudit(home: string, project: string, input: AuditInput): Promise<AuditEntry> {
  const file = auditPath(home, project);
  mkdirSync(dirname(file), { recursive: true });
  const lock = await acquireLock(join(home, 'locks', project, 'audit.lock'), `the audit log of ${project}`, { timeoutMs: 60_000 });
  try {
    return appendLocked(file, home, project, input);
  } finally {
    lock.release();
  }
}

function appendLocked(file: string, home: string, project: string, input: AuditInput): AuditEntry {
  const existing = readAudit(home, project);
  const last = existing[existing.length - 1];
  const base = { ...input, seq: (last?.seq ?? 0) + 1, prevHash: last?.hash ?? '' };
  const entry: AuditEntry = { ...base, hash: entryHash(base) };
  appendFileSync(file, JSON.stringify(entry) + '\n', { mode: 0o600 });
  const fd = openSync(file, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return entry;
}
