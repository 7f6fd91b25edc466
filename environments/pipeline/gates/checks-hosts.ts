/** Where the `checks` gate may send its token: https to hosts the user allowed (`slipway.checks.allowedHosts`). */
import { parse, type ParseError } from 'jsonc-parser';
import { readTextIfExists } from '../../files';
import { userSettingsFile } from '../../quotas/limits';

export const ALLOWED_HOSTS_SETTING = 'slipway.checks.allowedHosts';
export const DEFAULT_ALLOWED_HOSTS = ['api.github.com'];

/**
 * The user's allowed hosts, from SLIPWAY_HOME/settings.json (the editor writes the user's own
 * settings there, never a workspace's); the default when the setting is absent or not a list of names.
 */
export function allowedCheckHosts(home: string): string[] {
  const text = readTextIfExists(userSettingsFile(home));
  if (!text?.trim()) return DEFAULT_ALLOWED_HOSTS;
  const errors: ParseError[] = [];
  const root: unknown = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  const value =
    errors.length === 0 && root && typeof root === 'object'
      ? (root as Record<string, unknown>)[ALLOWED_HOSTS_SETTING]
      : undefined;
  if (!Array.isArray(value) || !value.every((h) => typeof h === 'string')) return DEFAULT_ALLOWED_HOSTS;
  return value.map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/**
 * Why the token may not go to `apiUrl`, or undefined when it may: the host (name, or name:port)
 * must be listed, and the scheme https; plain http only to a listed loopback host.
 */
export function checksEndpointRefusal(apiUrl: string, allowed: string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return `the checks API address "${apiUrl}" is not a URL`;
  }
  const hostname = url.hostname.toLowerCase();
  const listed = allowed.includes(url.host.toLowerCase()) || allowed.includes(hostname);
  const setting = `${ALLOWED_HOSTS_SETTING} (now: ${allowed.length > 0 ? allowed.join(', ') : 'none'})`;
  if (!listed) {
    return `refused to send the checks token to ${url.host}: it is not in the allowed hosts; add it to ${setting} in your user settings if you trust it`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.test(hostname)) return undefined;
  return `refused to send the checks token to ${url.host} over ${url.protocol.replace(':', '')}: only https is allowed (plain http only to a loopback host listed in ${setting})`;
}
