// Where a SLIPWAY_HOME's shared state lives: SLIPWAY_STATE_URL or `state_url` in the host policy; the URL shown with its password masked.
import { join } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { SlipwayError } from '../errors';
import { readTextIfExists } from '../files';

/** Whether a URL names a PostgreSQL database (`postgres://` or `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * The team state URL for `home`: `SLIPWAY_STATE_URL` when set (empty means the files under
 * SLIPWAY_HOME), else `state_url` in `<home>/policy.yaml`; undefined for the file layout.
 */
export function teamStateUrl(home: string): string | undefined {
  const fromEnv = process.env.SLIPWAY_STATE_URL;
  if (fromEnv !== undefined) return fromEnv.trim() === '' ? undefined : checked(fromEnv.trim(), 'SLIPWAY_STATE_URL');
  const file = join(home, 'policy.yaml');
  const text = readTextIfExists(file);
  if (text === undefined) return undefined;
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  const node = doc.get('state_url', true) as { value?: unknown; range?: [number, number, number] } | undefined;
  if (node === undefined || node === null) return undefined;
  const line = node.range ? counter.linePos(node.range[0]).line : 1;
  if (typeof node.value !== 'string' || node.value.trim() === '')
    throw new SlipwayError('settings-invalid', `${file}:${line}: state_url is not a URL string.`, {
      hint: 'Write `state_url: postgres://USER:PASSWORD@HOST:PORT/DATABASE`, or remove the line to keep state in files.',
    });
  return checked(node.value.trim(), `${file}:${line}: state_url`);
}

function checked(url: string, where: string): string {
  if (!isPostgresUrl(url))
    throw new SlipwayError('settings-invalid', `${where} is ${maskUrl(url)}, which is not a postgres:// URL.`, {
      hint: 'Team state lives in PostgreSQL: give postgres://USER:PASSWORD@HOST:PORT/DATABASE, or unset it to keep state in files.',
    });
  return url;
}

/** The URL with its password replaced by `****`: the only form in which a state URL is ever printed. */
export function maskUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:****@');
}

/** The URL without user and password: what identifies the database (the same for every member of a team). */
export function databaseIdentity(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1').replace(/^postgresql:/i, 'postgres:');
}

/**
 * The URL Pulumi's own PostgreSQL backend logs in with: `postgres://` (the scheme Pulumi
 * recognises), and `sslmode=disable` added for a server on this machine when none is given.
 */
export function pulumiBackendUrl(stateUrl: string): string {
  let url = stateUrl.replace(/^postgresql:/i, 'postgres:');
  const local = /^postgres:\/\/(?:[^@/]*@)?(127\.0\.0\.1|localhost|\[::1\])[:/]/i.test(url);
  if (local && !/[?&]sslmode=/.test(url)) url += `${url.includes('?') ? '&' : '?'}sslmode=disable`;
  return url;
}
