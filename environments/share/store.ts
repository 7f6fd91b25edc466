// Share links as stored: one file per environment holding the token's hash (never the token), its expiry and service, and the access log beside it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { envNames } from '../naming';
import { stateStore } from '../state/store';
import { checkFields, readStoredItem } from '../stored';

export interface Share {
  project: string;
  env: string;
  branch: string;
  service: string;
  /** SHA-256 of the token, hex. The token itself is only ever in the link. */
  tokenHash: string;
  createdAt: string;
  expiresAt: string;
}

export function shareFile(home: string, project: string, env: string): string {
  return join(home, 'shares', project, `${env}.json`);
}

export function accessLogFile(home: string, project: string, env: string): string {
  return join(home, 'shares', project, `${env}.access.log`);
}

const shareRel = (project: string, env: string) => `shares/${project}/${env}.json`;

const REMEDY = 'run `slipway share` for its branch again (a new link), or `slipway share --revoke`';

export function readShare(home: string, project: string, env: string): Share | undefined {
  return readStoredItem<Share>(
    home,
    shareRel(project, env),
    (v) =>
      checkFields(v, {
        project: 'string',
        env: 'string',
        branch: 'string',
        service: 'string',
        tokenHash: 'string',
        createdAt: 'string',
        expiresAt: 'string',
      }),
    REMEDY,
  );
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether `token` is the one whose hash the share holds (compared in constant time). */
export function tokenMatches(share: Share, token: string | undefined): boolean {
  if (!token) return false;
  const a = Buffer.from(hashToken(token), 'hex');
  const b = Buffer.from(share.tokenHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A new share with a new token (any link given before stops working); returns the token, for the link only. */
export function writeShare(home: string, share: Omit<Share, 'tokenHash'>): string {
  const token = randomBytes(24).toString('base64url');
  stateStore(home).writeText(
    shareRel(share.project, share.env),
    JSON.stringify({ ...share, tokenHash: hashToken(token) }, null, 2) + '\n',
  );
  return token;
}

export function removeShare(home: string, project: string, env: string): boolean {
  const had = readShareQuiet(home, project, env) !== undefined;
  stateStore(home).remove(shareRel(project, env));
  return had;
}

function readShareQuiet(home: string, project: string, env: string): Share | undefined {
  try {
    return readShare(home, project, env);
  } catch {
    return undefined;
  }
}

/** One line of an environment's access log: who (address, user agent) opened what, when, and the answer. */
export function logAccess(
  home: string,
  project: string,
  env: string,
  entry: { at: string; remote?: string; agent?: string; method?: string; path: string; status: number },
): void {
  stateStore(home).appendLine(`shares/${project}/${env}.access.log`, JSON.stringify(entry));
}

/** After a `down`: its link ends with it (a later `up` of the branch does not bring it back). */
export function forgetShare(home: string, project: string, branch: string): void {
  const names = envNames(project, branch);
  removeShare(home, names.project, names.env);
}
