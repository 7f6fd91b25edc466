/**
 * The seal of the audit log, kept outside the log file: a per-host Ed25519 key (created on first
 * use, mode 0600 under SLIPWAY_HOME/keys) signs each entry's hash, and a signed checkpoint
 * (`audit/<project>.head`: entry count and head hash) is rewritten after every append. An editor
 * of the log alone cannot recompute signatures, nor drop the last entries unnoticed.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { linkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomically } from '../files';
import { stateStore } from '../state/store';

export function auditKeyPath(home: string): string {
  return join(home, 'keys', 'audit-host.key');
}

export function checkpointPath(home: string, project: string): string {
  return stateStore(home).where(checkpointRel(project));
}

const checkpointRel = (project: string) => `audit/${project}.head`;

/**
 * The public keys an entry may be signed with: this host's, and in a team's shared state every
 * member host's (each host registers its own when it first signs).
 */
function verifyingKeys(home: string): KeyObject[] {
  const own = publicKey(home);
  const store = stateStore(home);
  const team =
    store.kind === 'file'
      ? []
      : store
          .list('audit-keys')
          .map((name) => store.readText(`audit-keys/${name}`))
          .map((text) => (text ? (JSON.parse(text) as { publicKey?: string }).publicKey : undefined))
          .filter((pem): pem is string => typeof pem === 'string')
          .map((pem) => createPublicKey(pem));
  return own ? [own, ...team] : team;
}

/** This host's public audit key as a team's shared state keeps it (`audit-keys/<id>.pub`); undefined when there is no key. */
export function publicKeyItem(home: string): { rel: string; text: string } | undefined {
  const key = hostKey(home, false);
  if (!key) return undefined;
  const pem = createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
  const id = createHash('sha256').update(pem).digest('hex').slice(0, 32);
  return { rel: `audit-keys/${id}.pub`, text: JSON.stringify({ publicKey: pem }) };
}

/** In a team's shared state, publishes this host's public audit key so every member can check its entries. */
function registerKey(home: string): void {
  const store = stateStore(home);
  if (store.kind === 'file') return;
  const item = publicKeyItem(home);
  if (item && store.readText(item.rel) === undefined) store.writeText(item.rel, item.text);
}

/** The host's audit key; created (0600) when `create` and there is none. */
function hostKey(home: string, create: boolean): KeyObject | undefined {
  const file = auditKeyPath(home);
  const pem = readTextIfExists(file);
  if (pem) return createPrivateKey(pem);
  if (!create) return undefined;
  const { privateKey } = generateKeyPairSync('ed25519');
  // Made aside, then linked into place: of two processes making the first key, one key wins and both use it.
  const aside = `${file}.${process.pid}.new`;
  writeFileAtomically(aside, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
  try {
    linkSync(aside, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    rmSync(aside, { force: true });
  }
  return createPrivateKey(readTextIfExists(file)!);
}

/** The public half of the host key; undefined when there is no key. */
function publicKey(home: string): KeyObject | undefined {
  const key = hostKey(home, false);
  return key && createPublicKey(key);
}

/** Signs an entry's hash with the host key (creating the key on the first entry). */
export function sealEntry(home: string, hash: string): string {
  const key = hostKey(home, true)!;
  registerKey(home);
  return sign(null, Buffer.from(`slipway-audit-entry v1\n${hash}`), key).toString('base64');
}

export interface Checkpoint {
  project: string;
  count: number;
  head: string;
  sig: string;
}

const checkpointText = (c: Omit<Checkpoint, 'sig'>) => `slipway-audit-head v1\n${c.project}\n${c.count}\n${c.head}`;

/** Records (signed) that the log of `project` holds `count` entries ending at `head`. */
export function writeCheckpoint(home: string, project: string, count: number, head: string): void {
  const sig = sign(null, Buffer.from(checkpointText({ project, count, head })), hostKey(home, true)!).toString(
    'base64',
  );
  stateStore(home).writeText(checkpointRel(project), JSON.stringify({ project, count, head, sig }) + '\n');
}

/**
 * Checks the seal of a log of entries `{ hash, sig }`: each signature, then the checkpoint (the log
 * must reach it and hold its head). Returns the first problem and the entry it concerns, or undefined.
 */
export function checkSeal(
  home: string,
  project: string,
  entries: Array<{ seq: number; hash: string; sig?: string }>,
): { seq: number; problem: string } | undefined {
  if (entries.length === 0 && stateStore(home).readText(checkpointRel(project)) === undefined) return undefined;
  const keys = verifyingKeys(home);
  if (keys.length === 0)
    return {
      seq: entries[0]?.seq ?? 1,
      problem: `the host's audit key (${auditKeyPath(home)}) is missing, so no entry's signature can be checked`,
    };
  for (const e of entries) {
    const ok = !!e.sig && keys.some((key) => verifySig(key, `slipway-audit-entry v1\n${e.hash}`, e.sig!));
    if (!ok)
      return {
        seq: e.seq,
        problem: e.sig
          ? "its signature does not verify with this host's audit key (rewritten, or written elsewhere)"
          : 'it is not signed (appended outside Slipway)',
      };
  }
  const text = stateStore(home).readText(checkpointRel(project));
  if (text === undefined)
    return {
      seq: entries[entries.length - 1].seq,
      problem: `the signed checkpoint ${checkpointPath(home, project)} is missing: the end of the log cannot be confirmed`,
    };
  let cp: Checkpoint;
  try {
    cp = JSON.parse(text) as Checkpoint;
  } catch {
    return { seq: entries.length, problem: `the signed checkpoint ${checkpointPath(home, project)} is not JSON` };
  }
  if (
    cp.project !== project ||
    !Number.isInteger(cp.count) ||
    typeof cp.sig !== 'string' ||
    !keys.some((key) => verifySig(key, checkpointText(cp), cp.sig))
  ) {
    return {
      seq: entries.length,
      problem: `the checkpoint ${checkpointPath(home, project)} is not signed by this host's audit key`,
    };
  }
  if (entries.length < cp.count) {
    return {
      seq: entries.length + 1,
      problem: `entry ${entries.length + 1} is missing: the signed checkpoint records ${cp.count} entries, the log ends after ${entries.length} (truncated)`,
    };
  }
  // Entries past the checkpoint are fine when signed (an append cut short before its checkpoint).
  if (cp.count > 0 && entries[cp.count - 1].hash !== cp.head) {
    return {
      seq: entries[cp.count - 1].seq,
      problem: `it is not the entry the signed checkpoint records as entry ${cp.count}`,
    };
  }
  return undefined;
}

function verifySig(key: KeyObject, text: string, sig: string): boolean {
  try {
    return verify(null, Buffer.from(text), key, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}
