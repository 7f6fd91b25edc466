/** Every Slipway setting, read in one place and typed (package.json `contributes.configuration`). */
import * as vscode from 'vscode';

export interface QuotaSettings {
  /** 0: no limit. */
  maxEnvironmentsPerUser: number;
  maxEnvironmentsPerWorkspace: number;
  cpusPerEnvironment: number;
  /** Docker size (`512m`, `2g`); `0`: no limit. */
  memoryPerEnvironment: string;
}

export interface SlipwaySettings {
  // dockerHost, backendUrl and stateFolder are restricted configurations (package.json
  // `capabilities.untrustedWorkspaces`): VS Code ignores an untrusted folder's values for them.
  /** Docker endpoint; undefined: DOCKER_HOST or the local socket. */
  dockerHost?: string;
  /** Pulumi backend URL; undefined: the file backend in the state folder. */
  backendUrl?: string;
  /** Slipway's state folder; undefined: SLIPWAY_HOME or ~/.slipway. */
  stateFolder?: string;
  autoPreview: boolean;
  /** Default time to live of a preview, in milliseconds. */
  defaultTtlMs: number;
  quotas: QuotaSettings;
}

/** Parses `30m`, `72h`, `7d`; falls back to 72 hours for anything else. */
export function parseDuration(text: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(text.trim());
  if (!m) return 72 * 3600_000;
  return Number(m[1]) * { m: 60_000, h: 3600_000, d: 86400_000 }[m[2] as 'm' | 'h' | 'd'];
}

export function readSettings(): SlipwaySettings {
  const c = vscode.workspace.getConfiguration('slipway');
  const text = (key: string) => c.get<string>(key)?.trim() || undefined;
  return {
    dockerHost: text('engine.dockerHost'),
    backendUrl: text('pulumi.backendUrl'),
    stateFolder: text('stateFolder'),
    autoPreview: c.get<boolean>('autoPreview', false),
    defaultTtlMs: parseDuration(c.get<string>('ttl.default', '72h')),
    quotas: {
      maxEnvironmentsPerUser: c.get<number>('quotas.maxEnvironmentsPerUser', 5),
      maxEnvironmentsPerWorkspace: c.get<number>('quotas.maxEnvironmentsPerWorkspace', 20),
      cpusPerEnvironment: c.get<number>('quotas.cpusPerEnvironment', 2),
      memoryPerEnvironment: c.get<string>('quotas.memoryPerEnvironment', '2g'),
    },
  };
}

/** True when a change touches a setting that the engine is created from. */
export function affectsEngine(e: vscode.ConfigurationChangeEvent): boolean {
  return ['slipway.engine.dockerHost', 'slipway.pulumi.backendUrl', 'slipway.stateFolder'].some((k) => e.affectsConfiguration(k));
}
