/** A stage's way to another engine beside `dockerHost`: a Docker CLI `context`, and the `registry` its images travel through. */
import type { StageSpec } from './types';

/** The YAML fields, as the schema accepts them. */
export interface RawStageRemote {
  /** A Docker CLI context (`docker context ls`), read from DOCKER_CONFIG or ~/.docker. */
  context?: string;
  /** Registry host (and optional path) the release's images are pushed to and pulled from, e.g. 127.0.0.1:5000. */
  registry?: string;
}

interface Problem {
  path: Array<string | number>;
  at: 'key' | 'value' | 'owner';
  message: string;
}

/** `context` and `dockerHost` name the engine once; a `registry` serves a stage on another engine only. */
export function stageRemoteProblems(stage: unknown, index: number): Problem[] {
  if (typeof stage !== 'object' || stage === null || Array.isArray(stage)) return [];
  const raw = stage as Record<string, unknown>;
  const path = ['pipeline', 'stages', index];
  const problems: Problem[] = [];
  if (raw.context !== undefined && raw.dockerHost !== undefined) {
    const message =
      '"context" and "dockerHost" both name the stage\'s engine: keep one (a context is also written dockerHost: context://NAME)';
    problems.push({ path: [...path, 'context'], at: 'key', message });
  }
  if (onContext(raw) && raw.tls !== undefined) {
    const message =
      '"tls" does not apply to a Docker context, which brings its own TLS material (docker context create --docker ca=…,cert=…,key=…): remove it';
    problems.push({ path: [...path, 'tls'], at: 'key', message });
  }
  if (raw.registry !== undefined && raw.context === undefined && raw.dockerHost === undefined) {
    const message =
      '"registry" carries images to a stage on another engine, and this stage runs on the local engine: add "dockerHost" or "context", or remove it';
    problems.push({ path: [...path, 'registry'], at: 'key', message });
  }
  return problems;
}

/** Whether a raw stage names its engine by a Docker context (`context: NAME` or `dockerHost: context://NAME`). */
export function onContext(raw: Record<string, unknown>): boolean {
  return raw.context !== undefined || (typeof raw.dockerHost === 'string' && raw.dockerHost.startsWith('context:'));
}

/** Adds the normalized fields: a context becomes the endpoint `context://NAME`. */
export function normalizeStageRemote(raw: RawStageRemote, stage: StageSpec): void {
  if (raw.context !== undefined) stage.dockerHost = `context://${raw.context}`;
  if (raw.registry !== undefined) stage.registry = raw.registry.replace(/\/+$/, '');
}
