/**
 * Runs a shell command line for a gate: `sh -c` in its own process group, so that stopping it
 * (timeout or cancel) stops everything it started, and so that nothing it left running in the
 * background outlives it.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';

export interface ShellResult {
  /** The exit code, or null when a signal ended the command. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of stdout and stderr together, in the order they arrived. */
  tail: string[];
  /** All of stdout, when asked for with `keepStdout`. */
  stdout: string;
}

export interface ShellOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  /** Stops the command: SIGTERM to its process group, SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  tailLines?: number;
  keepStdout?: boolean;
  killGraceMs?: number;
}

const DEFAULT_TAIL_LINES = 40;
const DEFAULT_KILL_GRACE_MS = 2000;
/** How long to wait for stdout/stderr to close after the command exited (a stray holder of the pipes). */
const CLOSE_GRACE_MS = 1000;
/** The most output text kept in memory at a time. */
const MAX_TAIL_CHARS = 256 * 1024;

/**
 * Runs `script` with `sh -c` and resolves once it has ended and its output is read. Rejects only
 * when it cannot start (e.g. the working folder is missing); a non-zero exit is a result.
 */
export function runShell(script: string, opts: ShellOptions): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail = new OutputTail(opts.tailLines ?? DEFAULT_TAIL_LINES);
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      tail.push(text);
      if (opts.keepStdout) stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => tail.push(text));

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is gone already.
      }
    };
    let forceKill: NodeJS.Timeout | undefined;
    let closeGrace: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      killGroup('SIGTERM');
      forceKill ??= setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    };
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(forceKill);
      clearTimeout(closeGrace);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode: exit?.code ?? null, signal: exit?.signal ?? null, tail: tail.lines(), stdout });
    };

    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (err) => {
      done = true;
      clearTimeout(forceKill);
      opts.signal?.removeEventListener('abort', onAbort);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // The command is done: whatever it left running in its group goes too.
      killGroup('SIGKILL');
      closeGrace = setTimeout(finish, CLOSE_GRACE_MS);
    });
    child.once('close', finish);
  });
}

/** Keeps the last `max` lines of a stream of text, without holding all of it. */
class OutputTail {
  private text = '';

  constructor(private readonly max: number) {}

  push(chunk: string): void {
    this.text += chunk;
    // Keep generous room for long lines, but never the whole output.
    if (this.text.length > MAX_TAIL_CHARS)
      this.text = this.lines()
        .join('\n')
        .slice(-MAX_TAIL_CHARS / 4);
  }

  lines(): string[] {
    const lines = this.text.replace(/\r\n?/g, '\n').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.slice(-this.max);
  }
}

/** The environment of a gate's command: this process's, with the context's variables on top. */
export function commandEnv(vars: Record<string, string | undefined>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const [name, value] of Object.entries(vars)) if (value !== undefined) env[name] = value;
  return env;
}

/** Whether `path` is an existing folder. */
export function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
