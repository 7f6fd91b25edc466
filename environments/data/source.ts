/** A source database URL as the CLI takes it: checked, shown without its password, and kept out of every error message. */
import { SlipwayError } from '../errors';

const SCHEMES = new Set(['postgres:', 'postgresql:']);

/**
 * The URL with its password replaced by `***` (`postgres://user:***@host:port/db`). Text that no
 * URL parser takes still loses anything in the place of a password (`//user:...@`).
 */
export function maskedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString().replace('%2A%2A%2A', '***');
  } catch {
    return url.replace(/(\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
  }
}

/** The forms a URL's password can take in a message: as written and decoded. */
function passwordForms(url: string): string[] {
  try {
    const raw = new URL(url).password;
    if (!raw) return [];
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      /* not percent-encoded */
    }
    return [...new Set([url, raw, decoded])].sort((a, b) => b.length - a.length);
  } catch {
    return [];
  }
}

/** `text` with the source URL shown masked and its password nowhere. */
export function withoutPassword(text: string, url: string): string {
  let out = text;
  for (const secret of passwordForms(url)) out = out.split(secret).join(secret === url ? maskedUrl(url) : '***');
  return out;
}

/** A problem with the URL itself (not a PostgreSQL URL, not parseable), as a one-line message without its password; undefined when it is fine. */
export function sourceUrlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `--source is not a URL (expected postgres://user:password@host:port/database)`;
  }
  if (!SCHEMES.has(u.protocol))
    return `--source ${JSON.stringify(maskedUrl(url))} is not a PostgreSQL URL (expected postgres://user:password@host:port/database)`;
  return undefined;
}

/**
 * Any failure of a command that reached the source, as a SlipwayError whose message and hint
 * hold no password: a source that does not answer or refuses the login is `data-copy-failed`
 * saying so (never a Docker error).
 */
export function sourceError(err: unknown, url: string): SlipwayError {
  const scrub = (t: string | undefined) => (t === undefined ? undefined : withoutPassword(t, url));
  if (SlipwayError.is(err)) {
    const clean = scrub(err.message) ?? '';
    if (clean === err.message && scrub(err.hint) === err.hint) return err;
    const copy = new SlipwayError(err.reason, clean, { hint: scrub(err.hint) });
    // Keep the typed fields (issues, columns) of a policy or unsafe-column error.
    return Object.assign(
      copy,
      Object.fromEntries(Object.entries(err).filter(([k]) => !['reason', 'hint', 'message', 'name'].includes(k))),
    );
  }
  const message = scrub(err instanceof Error ? err.message : String(err)) ?? '';
  return new SlipwayError('data-copy-failed', `The source database ${maskedUrl(url)} could not be read: ${message}.`, {
    hint: 'Check that it runs and answers at that address, and that the user and password in --source are right, then run the command again.',
  });
}
