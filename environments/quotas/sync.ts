// The user's own limits for the CLI: the editor writes the user's VS Code settings into SLIPWAY_HOME/settings.json.
import { writeFileAtomically } from '../files';
import { LIMIT_KEYS, userSettingsFile } from './limits';

/** The settings the editor keeps in step: every `slipway.quotas.*` limit, `slipway.ttl.default`, `slipway.share.bind` and `slipway.checks.allowedHosts`. */
export const SYNCED_SETTINGS = [
  ...LIMIT_KEYS.map((k) => `quotas.${k}`),
  'ttl.default',
  'share.bind',
  'checks.allowedHosts',
];

/** Writes the user's values (keys without the `slipway.` prefix; undefined: not set) as SLIPWAY_HOME/settings.json. */
export function writeUserSettings(home: string, values: Record<string, unknown>): void {
  const out: Record<string, unknown> = {};
  for (const key of SYNCED_SETTINGS) if (values[key] !== undefined) out[`slipway.${key}`] = values[key];
  writeFileAtomically(userSettingsFile(home), JSON.stringify(out, null, 2) + '\n');
}
