/**
 * Where an engine is from this machine's point of view: whether its published ports are this
 * machine's 127.0.0.1, which host name its URLs carry, which address it publishes on, and the
 * small image that probes HTTP health checks inside it. Plain functions and constants only: the
 * provider code that calls them is serialized into Pulumi's state (see ./provider.ts). A Docker
 * CLI context (`context://NAME`) is judged by the endpoint it names.
 */
import { contextEndpoint, isContextEndpoint } from './endpoint';

/** The probe image used when SLIPWAY_PROBE_IMAGE names none: any image with `sh`, `nc`, `head` and `sleep` (busybox). */
export const DEFAULT_PROBE_IMAGE = 'busybox:stable';

/** The image that runs HTTP health checks inside a remote engine (SLIPWAY_PROBE_IMAGE, else busybox). */
export function probeImage(env: Record<string, string | undefined> = process.env): string {
  return env.SLIPWAY_PROBE_IMAGE || DEFAULT_PROBE_IMAGE;
}

/** Whether the engine is this machine's own (its published 127.0.0.1 ports are ours): no endpoint, or a unix socket. */
export function isLocalEngine(dockerHost: string): boolean {
  if (isContextEndpoint(dockerHost)) {
    const named = namedEndpoint(dockerHost);
    return named !== undefined && isLocalEngine(named);
  }
  return !dockerHost || dockerHost.startsWith('unix://') || dockerHost.startsWith('npipe:');
}

/** The host name of a tcp://, ssh:// or http(s):// endpoint; undefined for a socket, a context or none. */
export function endpointHostName(dockerHost: string): string | undefined {
  if (isContextEndpoint(dockerHost)) {
    const named = namedEndpoint(dockerHost);
    return named === undefined ? undefined : endpointHostName(named);
  }
  if (!/^(tcp|ssh|https?):\/\//.test(dockerHost)) return undefined;
  try {
    return new URL(dockerHost).hostname.replace(/^\[(.*)\]$/, '$1') || undefined;
  } catch {
    return undefined;
  }
}

/** The endpoint a context names; undefined for one that cannot be read (connecting to it then says why). */
function namedEndpoint(dockerHost: string): string | undefined {
  try {
    return contextEndpoint(dockerHost).host;
  } catch {
    return undefined;
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The host name that the environment's URLs carry: the remote engine's host, else 127.0.0.1. */
export function urlHost(dockerHost: string): string {
  const host = endpointHostName(dockerHost);
  if (!host || isLoopback(host)) return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The address ports are published on: 127.0.0.1 on this machine's engine (and on an engine
 * reached on loopback); on another host its every interface, so the URLs that name that host answer.
 */
export function bindAddress(dockerHost: string): string {
  return urlHost(dockerHost) === '127.0.0.1' ? '127.0.0.1' : '0.0.0.0';
}
