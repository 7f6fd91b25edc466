/**
 * A container's health check command run by Slipway itself (`docker exec`), for its exit code.
 * Docker runs the same command as the container's HEALTHCHECK only every 30 s once the container
 * is healthy (each run is a process started in the container), and an engine older than API 1.44
 * waits that long for its first run; Slipway runs it itself while it waits for a new container and
 * when a status finds Docker's answer not there yet. Serialized into Pulumi's state with the
 * provider (see ../provider.ts): npm packages and Node modules only through `require()` inside
 * function bodies.
 */
import type * as Dockerode from 'dockerode';

/** How often Docker runs a health check command once the container is healthy. */
export const SETTLED_CHECK_MS = 30000;

/** The command's exit code, or undefined when it could not be run (the container is not running) or did not end within `timeoutMs`. */
export async function runHealthCommand(
  container: Dockerode.Container,
  command: string[],
  timeoutMs: number,
): Promise<number | undefined> {
  try {
    const exec = await container.exec({ Cmd: command, AttachStdout: true, AttachStderr: true });
    const stream = (await exec.start({ hijack: true, stdin: false })) as NodeJS.ReadableStream & {
      destroy?(): void;
    };
    const ended = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      stream.on('data', () => undefined);
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', done);
    });
    stream.destroy?.();
    if (!ended) return undefined;
    // Its output can end a moment before Docker records the exit.
    for (let i = 0; i < 10; i++) {
      const info = await exec.inspect();
      if (!info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
      await new Promise((r) => setTimeout(r, 20));
    }
    return undefined;
  } catch {
    return undefined;
  }
}
