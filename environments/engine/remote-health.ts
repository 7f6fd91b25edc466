/** HTTP health of an environment on another engine, probed from inside that engine (one probe container on its network for all its services). */
import type Docker from 'dockerode';
import type { EnvRecord } from '../records';
import type { ServiceState } from '../docker/engine';
import { startProbe } from '../docker/provider/probe';
import { probeImage } from '../docker/remote';

/**
 * Each running service whose check is an HTTP GET and whose Docker health is `none` reads healthy
 * or unhealthy from one GET made inside the engine (2 s timeout). A probe that cannot start (no
 * probe image there, no network) leaves the health as Docker reports it.
 */
export async function probeInsideEngine(
  docker: Docker,
  record: EnvRecord,
  services: ServiceState[],
): Promise<ServiceState[]> {
  const specs = record.ran?.services ?? [];
  const checked = services.filter((s) => {
    const http = specs.find((x) => x.name === s.service)?.healthcheck?.http;
    return http && s.state === 'running' && s.health === 'none';
  });
  if (checked.length === 0) return services;
  const network = `slipway-${record.project}-${record.env}`;
  let probe;
  try {
    probe = await startProbe(docker, network, probeImage(), 60);
  } catch {
    return services;
  }
  try {
    const health = new Map<string, string>();
    for (const s of checked) {
      const http = specs.find((x) => x.name === s.service)!.healthcheck!.http!;
      const problem = await probe.get(`http://${s.service}:${http.port}${http.path}`, 2000);
      health.set(s.service, problem ? 'unhealthy' : 'healthy');
    }
    return services.map((s) => (health.has(s.service) ? { ...s, health: health.get(s.service)! } : s));
  } finally {
    await probe.close();
  }
}
