/** Messages between the engine and a stack worker process (Node IPC, JSON). */
import type { SlipwayEvent } from '../events';
import type { SlipwayErrorReason } from '../errors';
import type { Spec } from '../spec/types';
import type { DriftReport } from '../pipeline/drift';
import type { ResourceRef } from './fingerprint';

export interface WorkerSettings {
  home: string;
  backendUrl: string;
  /** Owner id of this state on the Docker Engine (label dev.slipway.state). */
  stateId: string;
  dockerHost: string;
  /** Folder whose `bin/` holds `pulumi` and `pulumi-resource-pulumi-nodejs`. */
  pulumiRoot: string;
  /** NODE_PATH of the dynamic-provider host: where `require('dockerode')` in provider code resolves. */
  nodePath: string;
  passphrase: string;
  /** How long to wait for another operation on the same environment to finish. */
  lockTimeoutMs: number;
}

export type WorkerRequest =
  | {
      op: 'up';
      spec: Spec;
      branch: string;
      settings: WorkerSettings;
      replace?: Array<{ kind: 'container' | 'network' | 'volume' | 'swarm-service'; name: string }>;
      /** Apply the spec to these resources only (and what depends on them); default all. */
      only?: ResourceRef[];
      /** On a failed first up, keep what was created (default: remove it, and the stack). */
      keepOnFailure?: boolean;
      commit?: string;
      owner?: string;
    }
  | { op: 'down'; project: string; branch: string; settings: WorkerSettings }
  | { op: 'drift'; spec: Spec; branch: string; settings: WorkerSettings }
  /** `resources`: refresh only these (by resource name and kind); default all. */
  | { op: 'refresh'; spec: Spec; branch: string; settings: WorkerSettings; resources?: ResourceRef[] };

export interface UpResult {
  project: string;
  env: string;
  branch: string;
  stack: string;
  urls: Record<string, string>;
  changes: Record<string, number>;
}

export interface DownResult {
  project: string;
  env: string;
  branch: string;
  stack: string;
  removed: { containers: number; networks: number; volumes: number };
}

export type WorkerResult = UpResult | DownResult | DriftReport;

export type ParentMessage = { type: 'run'; request: WorkerRequest } | { type: 'cancel' };

export type WorkerMessage =
  | { type: 'event'; event: SlipwayEvent }
  | { type: 'output'; line: string }
  /** Where the worker's time went (sent before the result or error): milliseconds and runs per phase. */
  | { type: 'timings'; phases: Record<string, number>; counts: Record<string, number> }
  | { type: 'result'; result: WorkerResult }
  | { type: 'error'; error: { reason: SlipwayErrorReason; message: string; hint?: string } };
