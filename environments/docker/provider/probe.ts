/**
 * HTTP health checks run inside an engine: a small probe container on the environment's network
 * that sends a GET to a service by its network alias, so a remote engine's services are checked where
 * they run, not from this machine. Serialized into Pulumi's state with the provider (see
 * ../provider.ts): npm packages and Node modules only through `require()` inside function bodies.
 */
import type * as Dockerode from 'dockerode';
import { pullImage } from './pull';

export interface HttpProbe {
  /** Undefined when GET `url` answered 2xx; else what went wrong. */
  get(url: string, timeoutMs: number): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Label of a probe container, naming the network it probes (never an environment's labels: it is not a service). */
export const PROBE_LABEL = 'dev.slipway.probe';

/**
 * Starts a probe container on `network` (pulling `image` when the engine lacks it). It removes
 * itself when stopped, and stops by itself after `lifetimeS`, so an interrupted run leaves nothing.
 */
export async function startProbe(
  docker: Dockerode,
  network: string,
  image: string,
  lifetimeS = 900,
): Promise<HttpProbe> {
  try {
    await docker.getImage(image).inspect();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    await pullImage(docker, image);
  }
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['sleep'],
    Cmd: [String(lifetimeS)],
    Labels: { [PROBE_LABEL]: network },
    HostConfig: { NetworkMode: network, AutoRemove: true, Init: true },
  });
  try {
    await container.start();
  } catch (err) {
    await container.remove({ force: true }).catch(() => undefined);
    throw err;
  }
  return {
    async get(url: string, timeoutMs: number) {
      const target = new URL(url);
      const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
      // One HTTP/1.0 GET through `nc` (busybox's static `wget` crashes on some builds); the
      // request's parts are positional arguments, never parsed by the shell.
      const exec = await container.exec({
        Cmd: [
          'sh',
          '-c',
          'printf "GET %s HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" "$1" "$2" | nc -w "$4" "$2" "$3" | head -n 1',
          'probe',
          `${target.pathname}${target.search}`,
          target.hostname,
          target.port || '80',
          seconds,
        ],
        AttachStdout: true,
        AttachStderr: true,
      });
      const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream;
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve) => {
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => resolve());
        stream.on('close', () => resolve());
        stream.on('error', () => resolve());
      });
      // Docker's 8-byte frame headers dropped: only the text written.
      const raw = Buffer.concat(chunks);
      const parts: string[] = [];
      for (let i = 0; i + 8 <= raw.length;) {
        const size = raw.readUInt32BE(i + 4);
        parts.push(raw.subarray(i + 8, i + 8 + size).toString('utf8'));
        i += 8 + size;
      }
      const line = parts.join('').trim();
      const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(line)?.[1];
      if (status && status.startsWith('2')) return undefined;
      return status ? `answered ${status}` : line || `no answer from ${target.host}`;
    },
    async close() {
      await container.remove({ force: true }).catch(() => undefined);
    },
  };
}
