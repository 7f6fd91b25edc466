/**
 * Waiting for a new container to be healthy while watching its lifecycle, and the masked last log
 * lines a failed wait reports. Serialized into Pulumi's state with the provider (see ../provider.ts): npm packages and Node
 * modules only through `require()` inside function bodies.
 */
import type * as Dockerode from 'dockerode';
import type { ContainerInputs } from './container';
import { runHealthCommand } from './health-command';
import { startProbe, type HttpProbe } from './probe';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function containerLogsTail(container: Dockerode.Container, lines: number): Promise<string> {
  try {
    const buf = (await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    // Demultiplex Docker's 8-byte frame headers when the container has no TTY.
    const out: string[] = [];
    let i = 0;
    while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
      const size = buf.readUInt32BE(i + 4);
      out.push(buf.subarray(i + 8, i + 8 + size).toString('utf8'));
      i += 8 + size;
    }
    const text = i > 0 ? out.join('') : buf.toString('utf8');
    return text.trimEnd();
  } catch {
    return '';
  }
}

/**
 * `text` with every secret value the container knows replaced by `***`: the environment's secrets
 * (and the password inside a URL), and every env value of 6 characters or more (an app's log may
 * print its configuration).
 */
function maskSecrets(text: string, inputs: Pick<ContainerInputs, 'env' | 'secrets'>): string {
  const values = new Set<string>();
  const add = (v: string, min: number) => {
    if (v.length < min) return;
    values.add(v);
    try {
      const url = new URL(v);
      if (url.password.length >= 4) {
        values.add(url.password);
        values.add(decodeURIComponent(url.password));
      }
    } catch {
      // not a URL
    }
  };
  for (const secret of inputs.secrets ?? []) add(secret, 4);
  for (const entry of inputs.env) add(entry.slice(entry.indexOf('=') + 1), 6);
  return [...values].sort((a, b) => b.length - a.length).reduce((out, v) => out.split(v).join('***'), text);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** What Docker's event stream said of one container: when it first started, and its first exit. */
export interface Lifecycle {
  started?: number;
  died?: { code: number; at: number };
  close(): void;
}

/**
 * Follows the container's `start` and `die` events (opened before it starts, so none is missed):
 * a container that exits is restarted by its restart policy within ~100 ms, and then its state no
 * longer holds the exit code. Without an event stream, the state is all there is.
 */
export async function watchLifecycle(docker: Dockerode, id: string): Promise<Lifecycle> {
  const life: Lifecycle = { close: () => undefined };
  try {
    const stream = (await docker.getEvents({
      filters: { type: ['container'], container: [id], event: ['start', 'die'] },
    })) as NodeJS.ReadableStream & { destroy?(): void };
    let pending = '';
    stream.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
        const line = pending.slice(0, i);
        pending = pending.slice(i + 1);
        try {
          const e = JSON.parse(line) as {
            Action?: string;
            time?: number;
            timeNano?: number;
            Actor?: { Attributes?: Record<string, string> };
          };
          const at = e.timeNano ? e.timeNano / 1e6 : (e.time ?? 0) * 1000;
          if (e.Action === 'start' && life.started === undefined) life.started = at;
          if (e.Action === 'die' && !life.died) life.died = { code: Number(e.Actor?.Attributes?.exitCode), at };
        } catch {
          // not an event
        }
      }
    });
    stream.on('error', () => undefined);
    life.close = () => stream.destroy?.();
  } catch {
    // no event stream: the state alone tells
  }
  return life;
}

/**
 * Waits until the container is healthy, watching its state all along: one that exits (or is
 * restarted by its restart policy) is reported at once with its exit code and how long it ran;
 * one that stays unhealthy, when the check's timeout passes. Either way with its last log lines,
 * masked.
 */
export async function waitHealthy(
  docker: Dockerode,
  inputs: ContainerInputs,
  id: string,
  startedAt: number,
  life: Lifecycle,
): Promise<void> {
  const container = docker.getContainer(id);
  const health = inputs.health;
  const service = inputs.labels['dev.slipway.service'] ?? inputs.name;
  const timeoutMs = health?.timeoutMs ?? 30000;
  const deadline = Date.now() + timeoutMs;
  let firstStart: number | undefined;
  let failure: string;
  // On a remote engine (a probe image is given), the HTTP check runs inside it, on the network.
  let probe: HttpProbe | undefined;
  let lastRun = 0;
  let commandProblem: string | undefined;
  try {
    for (;;) {
      const info = await container.inspect();
      const state = info.State;
      if (firstStart === undefined && state.Running && !info.RestartCount) firstStart = Date.parse(state.StartedAt);
      if (life.died || !state.Running || state.Restarting || info.RestartCount > 0) {
        if (!life.died) await sleep(200); // its die event may be on its way
        const died = life.died;
        const stopped = !state.Running || state.Restarting;
        const code = died ? died.code : stopped ? state.ExitCode : undefined;
        // How long it ran: Docker's own times when known, else this side's clock.
        const finished = Date.parse(state.FinishedAt);
        const began = life.started ?? firstStart;
        const ranMs =
          died && began
            ? died.at - began
            : began && stopped && finished > began
              ? finished - began
              : Date.now() - startedAt;
        const oom = state.OOMKilled
          ? ` (out of memory${inputs.memoryBytes ? `: its limit is ${Math.round(inputs.memoryBytes / 1048576)} MiB` : ''})`
          : '';
        failure = `${service} exited${code === undefined || Number.isNaN(code) ? '' : ` with code ${code}`} after ${seconds(ranMs)}${oom}`;
        break;
      }
      let problem: string | undefined;
      if (!health) return;
      if (health.command) {
        // Docker's answer when it has one; else the command, run here at the check's own interval.
        if (state.Health?.Status === 'healthy') return;
        if (Date.now() - lastRun >= health.intervalMs) {
          lastRun = Date.now();
          const code = await runHealthCommand(container, health.command, Math.max(health.intervalMs, 5000));
          if (code === 0) return;
          commandProblem =
            code === undefined
              ? 'its health check command did not finish'
              : `its health check command exits with code ${code}`;
        }
        problem = commandProblem;
      } else if (health.http && inputs.probeImage) {
        probe ??= await startProbe(docker, inputs.network, inputs.probeImage);
        const alias = inputs.aliases[0] ?? inputs.name;
        const said = await probe.get(`http://${alias}:${health.http.port}${health.http.path}`, health.intervalMs);
        if (!said) return;
        problem = `GET ${health.http.path} (from inside the engine) failed: ${said}`;
      } else if (health.http) {
        const published = inputs.ports.find((p) => p.container === health.http?.port);
        const url = `http://127.0.0.1:${published?.host}${health.http.path}`;
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(1000, health.intervalMs)) });
          if (res.status >= 200 && res.status < 300) return;
          problem = `GET ${health.http.path} answered ${res.status}`;
        } catch (err) {
          problem = `GET ${health.http.path} failed: ${(err as Error).message}`;
        }
      }
      if (Date.now() > deadline) {
        failure = `${service} did not become healthy within ${Math.round(timeoutMs / 1000)}s: ${problem ?? 'not checked yet'}`;
        break;
      }
      // While waiting for start-up, look often: a check costs one local request or inspect.
      await sleep(Math.min(health.intervalMs, 100));
    }
  } finally {
    await probe?.close();
  }
  const logs = maskSecrets(await containerLogsTail(container, 20), inputs);
  throw new Error(
    maskSecrets(failure, inputs) +
      (logs ? `\nlast log lines of ${service}:\n${logs}` : `\n${service} wrote no log lines`),
  );
}

/**
 * Waits for a job's container to exit: code 0 is done; another code, or still running after
 * `timeoutMs`, fails with its last log lines, masked (its caller then removes the container).
 */
export async function waitCompleted(
  docker: Dockerode,
  inputs: ContainerInputs,
  id: string,
  timeoutMs: number,
): Promise<void> {
  const container = docker.getContainer(id);
  const service = inputs.labels['dev.slipway.service'] ?? inputs.name;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  const started = Date.now();
  let failure: string;
  try {
    const done = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, timedOut]);
    if (done !== 'timeout' && done.StatusCode === 0) return;
    failure =
      done === 'timeout'
        ? `the job ${service} did not finish within ${seconds(timeoutMs)} (its timeout)`
        : `the job ${service} exited with code ${done.StatusCode} after ${seconds(Date.now() - started)}`;
  } finally {
    clearTimeout(timer);
  }
  const logs = maskSecrets(await containerLogsTail(container, 20), inputs);
  throw new Error(
    maskSecrets(failure, inputs) +
      (logs ? `\nlast log lines of ${service}:\n${logs}` : `\n${service} wrote no log lines`),
  );
}
