/** What the parts of the engine share: its settings and Docker client, and the calls that reach a stack worker. */
import type Docker from 'dockerode';
import type { OperationOptions } from '../events';
import type { DefaultEndpoint } from '../docker/default-endpoint';
import type { Logger } from '../log';
import type { UpResult, WorkerRequest, WorkerResult, WorkerSettings } from '../pulumi/protocol';
import type { Spec } from '../spec/types';
import type { WorkerRuntime } from './runtime';
import type { UpOptions } from './types';
import type { WarmOptions } from './warm-client';

export interface EngineContext {
  readonly home: string;
  readonly backendUrl: string;
  readonly dockerHost: string;
  /** Where dockerHost came from, for people (see ../docker/default-endpoint.ts). */
  readonly endpoint: DefaultEndpoint;
  /** This state's owner id on the Docker Engine (label dev.slipway.state). */
  readonly stateId: string;
  readonly docker: Docker;
  readonly logger: Logger;
  /** Whether the engine starts a warm stack worker when none runs, and its idle time (./warm-client.ts). */
  readonly warm?: WarmOptions;
  /** Found on first use. */
  runtime(): WorkerRuntime;
  /** The Docker client of an endpoint (the engine's own by default), once it answers. */
  reachable(dockerHost?: string): Promise<Docker>;
  settings(dockerHost?: string): WorkerSettings;
  runWorker(request: WorkerRequest, opts: OperationOptions & { stopGraceMs?: number }): Promise<WorkerResult>;
  up(spec: Spec, branch: string, opts?: UpOptions): Promise<UpResult>;
}
