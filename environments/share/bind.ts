// The share gateway's address from `slipway.share.bind` (workspace `.vscode/settings.json`, then SLIPWAY_HOME/settings.json), and the host name its links carry.
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { findNodeAtLocation, parseTree, type ParseError } from 'jsonc-parser';
import { SlipwayError } from '../errors';
import { readTextIfExists } from '../files';
import { userSettingsFile, workspaceSettingsFile } from '../quotas/limits';

export const BIND_SETTING = 'slipway.share.bind';
export const LOCAL_BIND = '127.0.0.1';

/** The address a setting asked for, and the file it came from. */
export interface BindSetting {
  bind: string;
  source: string;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

/** Whether `bind` is an address the gateway can listen on: an IPv4 or IPv6 address, or `localhost`. */
export function validBind(bind: string): boolean {
  return bind === 'localhost' || isIP(bind) !== 0;
}

/** `slipway.share.bind` of one settings file (JSON with comments), checked; undefined when it sets none. */
export function readBindSetting(file: string): BindSetting | undefined {
  const text = readTextIfExists(file);
  if (text === undefined || !text.trim()) return undefined;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length || !root || root.type !== 'object')
    throw new SlipwayError(
      'settings-invalid',
      `${file}:${lineOf(text, errors[0]?.offset ?? 0)}: is not a JSON object of settings.`,
      { hint: 'Correct the file (JSON with comments) and retry.' },
    );
  const node = findNodeAtLocation(root, [BIND_SETTING]);
  if (!node) return undefined;
  if (typeof node.value !== 'string' || !validBind(node.value))
    throw new SlipwayError(
      'settings-invalid',
      `${file}:${lineOf(text, node.offset)}: ${BIND_SETTING} must be an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (the LAN).`,
      { hint: 'Correct the value and retry.' },
    );
  return { bind: node.value, source: file };
}

/**
 * The gateway address the settings ask for: the workspace's `.vscode/settings.json` over the
 * user's `SLIPWAY_HOME/settings.json`, as VS Code orders them; undefined when neither sets one.
 */
export function shareBindSetting(home: string, workspaceDir?: string): BindSetting | undefined {
  const ws = workspaceDir ? workspaceSettingsFile(workspaceDir) : undefined;
  return (ws ? readBindSetting(ws) : undefined) ?? readBindSetting(userSettingsFile(home));
}

/** The host name a link to a gateway on `bind` carries: `localhost` on the loopback, else this machine's name. */
export function linkHost(bind: string): string {
  return bind === LOCAL_BIND || bind === 'localhost' || bind === '::1' ? 'localhost' : hostname();
}
