/** Every Slipway setting, read in one place and typed (package.json `contributes.configuration`). */
import * as vscode from 'vscode';
import { durationSetting, memorySetting } from '../environments/spec/units';

export interface QuotaSettings {
  /** 0: no limit. */
  maxEnvironmentsPerUser: number;
  maxEnvironmentsPerWorkspace: number;
  cpusPerEnvironment: number;
  /** From a size such as `512m` or `2g`; 0: no limit. */
  memoryPerEnvironmentBytes: number;
}

export interface SlipwaySettings {
  // dockerHost, backendUrl and stateFolder are restricted configurations (package.json
  // `capabilities.untrustedWorkspaces`): VS Code ignores an untrusted folder's values for them.
  /** Docker endpoint; undefined: as the Docker CLI chooses (DOCKER_HOST, DOCKER_CONTEXT, its current context, the local socket). */
  dockerHost?: string;
  /** Pulumi backend URL; undefined: the file backend in the state folder. */
  backendUrl?: string;
  /** Slipway's state folder; undefined: SLIPWAY_HOME or ~/.slipway. */
  stateFolder?: string;
  autoPreview: boolean;
  /** Default time to live of a preview, in milliseconds. */
  defaultTtlMs: number;
  /** How long before expiry the editor warns (with Extend), in ms. */
  warnBeforeMs: number;
  /** How long the project's warm stack worker waits for the next operation, in ms; 0: a fresh worker each time. */
  warmWorkerIdleMs: number;
  /** How often the editor collects garbage as `slipway gc` does, in ms; 0: never. */
  gcIntervalMs: number;
  /** The environment of a branch deleted or merged upstream: offered for teardown, torn down, or left. */
  mergedBranches: 'offer' | 'teardown' | 'off';
  quotas: QuotaSettings;
}

/** The settings as typed values; a value that is not valid is passed to `warn`, then its default is used. */
export function readSettings(warn: (message: string) => void = () => {}): SlipwaySettings {
  const c = vscode.workspace.getConfiguration('slipway');
  const checked = <T>(r: { value: T; warning?: string }): T => {
    if (r.warning) warn(r.warning);
    return r.value;
  };
  const text = (key: string) => c.get<string>(key)?.trim() || undefined;
  return {
    dockerHost: text('engine.dockerHost'),
    backendUrl: text('pulumi.backendUrl'),
    stateFolder: text('stateFolder'),
    autoPreview: c.get<boolean>('autoPreview', false),
    defaultTtlMs: checked(durationSetting('slipway.ttl.default', c.get<string>('ttl.default'), '72h')),
    warnBeforeMs: checked(durationSetting('slipway.ttl.warnBefore', c.get<string>('ttl.warnBefore'), '15m')),
    warmWorkerIdleMs:
      c.get<string>('engine.warmWorkerIdle')?.trim() === '0'
        ? 0
        : checked(durationSetting('slipway.engine.warmWorkerIdle', c.get<string>('engine.warmWorkerIdle'), '10m')),
    gcIntervalMs:
      c.get<string>('gc.interval')?.trim() === '0'
        ? 0
        : checked(durationSetting('slipway.gc.interval', c.get<string>('gc.interval'), '10m')),
    mergedBranches: ((v) => (v === 'teardown' || v === 'off' ? v : 'offer'))(c.get<string>('gc.mergedBranches')),
    quotas: {
      maxEnvironmentsPerUser: c.get<number>('quotas.maxEnvironmentsPerUser', 5),
      maxEnvironmentsPerWorkspace: c.get<number>('quotas.maxEnvironmentsPerWorkspace', 20),
      cpusPerEnvironment: c.get<number>('quotas.cpusPerEnvironment', 2),
      memoryPerEnvironmentBytes: checked(
        memorySetting('slipway.quotas.memoryPerEnvironment', c.get<string>('quotas.memoryPerEnvironment'), '2g'),
      ),
    },
  };
}

/** True when a change touches a setting that the engine is created from. */
export function affectsEngine(e: vscode.ConfigurationChangeEvent): boolean {
  return [
    'slipway.engine.dockerHost',
    'slipway.engine.warmWorkerIdle',
    'slipway.pulumi.backendUrl',
    'slipway.stateFolder',
  ].some((k) => e.affectsConfiguration(k));
}
