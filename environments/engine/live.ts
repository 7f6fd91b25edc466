/** What runs now for every environment of an owner state on one engine, from ONE labelled container listing (`list` asks Docker once, however many environments there are). */
import type Docker from 'dockerode';
import { serviceState, type ServiceState } from '../docker/engine';
import { LABEL_ENV, LABEL_PROJECT, LABEL_ROLE, LABEL_STATE } from '../naming';
import { timePhase } from '../timings';

/** `project/env` → its containers' states, for every environment of `state` (of `project` only, when given). */
export async function liveByEnvironment(
  docker: Docker,
  state: string,
  project?: string,
): Promise<Map<string, ServiceState[]>> {
  const label = [`${LABEL_STATE}=${state}`, project ? `${LABEL_PROJECT}=${project}` : LABEL_PROJECT, LABEL_ENV];
  const listed = await timePhase('docker list containers', () =>
    docker.listContainers({ all: true, filters: { label } }),
  );
  const out = new Map<string, ServiceState[]>();
  for (const c of listed) {
    if (c.Labels?.[LABEL_ROLE] === 'entry') continue; // a Swarm stage's relay, not one of its services
    const key = envKey(c.Labels?.[LABEL_PROJECT] ?? '', c.Labels?.[LABEL_ENV] ?? '');
    const states = out.get(key) ?? [];
    states.push(serviceState(c));
    out.set(key, states);
  }
  return out;
}

export function envKey(project: string, env: string): string {
  return `${project}/${env}`;
}
