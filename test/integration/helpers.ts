/**
 * Shared set-up for integration tests: a private SLIPWAY_HOME per suite (never a user's own
 * state), the real CLI as a child process, and label queries against the real Docker Engine.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { LABEL_ENV, LABEL_PROJECT, envNames } from '../../environments/naming';
import { checkJsonOutput } from '../cli-json';
import { waitFor } from '../wait';

export const ROOT = join(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'slipway.js');
export const SHOP_SPEC = join(ROOT, 'examples', 'shop', 'slipway.yaml');

export const docker = new Docker();

/**
 * A suffix that makes this run's branch names its own, so two test runs on one Docker Engine
 * (two checkouts, or CI beside a developer) never reach for the same environment.
 */
export const RUN = Math.random().toString(36).slice(2, 8);

/** Fails (never skips) when an engine the integration tests need is missing. */
export async function requireEngines(): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(
      `integration tests need a Docker Engine, and none answers (${(err as Error).message}); run \`npm run setup\` (or start Docker).`,
      { cause: err },
    );
  }
  if (!existsSync(CLI) || !existsSync(join(ROOT, 'dist', 'stack-worker.js'))) {
    throw new Error(
      'integration tests need the built CLI (dist/slipway.js, dist/stack-worker.js): run `npm run build`.',
    );
  }
}

export function tempHome(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  home: string,
  timeoutMs = 600_000,
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env, SLIPWAY_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`slipway ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Every --json answer is checked against its schema in schemas/cli/ (a process killed by a signal may have had no time to answer).
      if (args.includes('--json') && !args.includes('--help') && signal === null) {
        try {
          checkJsonOutput(args, stdout);
        } catch (err) {
          reject(new Error(`${(err as Error).message}\nstderr:\n${stderr.slice(-2000)}`));
          return;
        }
      }
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the CLI and returns the `data` of its --json envelope; throws with stderr when it failed. */
export async function cliJson<T>(args: string[], home: string, env: NodeJS.ProcessEnv = {}): Promise<T> {
  const r = await runCli([...args, '--json'], home, undefined, env);
  if (r.code !== 0) throw new Error(`slipway ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return jsonData<T>(r.stdout);
}

/** The `data` of a successful --json envelope (the last line of an NDJSON stream); throws with the error when it failed. */
export function jsonData<T>(stdout: string): T {
  const lines = stdout.trim().split('\n');
  let doc: { data: T | null; error: { reason: string; message: string } | null };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    doc = JSON.parse(lines[lines.length - 1]) as typeof doc;
  }
  if (doc.error) throw new Error(`the command failed: ${doc.error.reason}: ${doc.error.message}`);
  return doc.data as T;
}

export function startCli(args: string[], home: string): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, SLIPWAY_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface Labelled {
  containers: Docker.ContainerInfo[];
  networks: Docker.NetworkInspectInfo[];
  volumes: Docker.VolumeInspectInfo[];
}

export async function labelled(project: string, branch: string): Promise<Labelled> {
  const names = envNames(project, branch);
  const filters = { label: [`${LABEL_PROJECT}=${names.project}`, `${LABEL_ENV}=${names.env}`] };
  return {
    containers: await docker.listContainers({ all: true, filters }),
    networks: await docker.listNetworks({ filters }),
    volumes: (await docker.listVolumes({ filters })).Volumes ?? [],
  };
}

export function stackFileExists(home: string, project: string, branch: string): boolean {
  const names = envNames(project, branch);
  const dir = join(home, 'state', '.pulumi', 'stacks', names.pulumiProject);
  return ['json', 'json.gz'].some((ext) => existsSync(join(dir, `${names.stack}.${ext}`)));
}

export async function getStatus(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  await res.arrayBuffer();
  return res.status;
}

/** A copy of a fixture folder in a temp dir, to edit its spec freely. */
export function copyFixture(src: string, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  cpSync(src, dir, { recursive: true, filter: (p) => !p.includes('node_modules') });
  return dir;
}

/** Last-resort cleanup after a failed test: the real CLI's `down`, then a label sweep. */
export async function forceDown(specFile: string, branch: string, home: string): Promise<void> {
  await runCli(['down', '--spec', specFile, '--branch', branch], home).catch(() => undefined);
}

/**
 * Removes a test project's masked snapshots (their volumes, and a snapshot server left running):
 * Slipway keeps them for later previews, and a test's SLIPWAY_HOME goes with the test.
 */
export async function removeSnapshots(project: string): Promise<void> {
  const filters = JSON.stringify({ label: [`dev.slipway.snapshots=${project}`] });
  for (const c of await docker.listContainers({ all: true, filters }).catch(() => []))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters }).catch(() => ({ Volumes: [] }));
  for (const v of Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove({ force: true })
      .catch(() => undefined);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function git(args: string[], cwd: string): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** The pids `pgrep` finds (none: an empty list). */
export function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // exit code 1: no process matched
  }
}

/** The processes of group `pgid` that still run (a zombie waiting to be reaped does not). */
export function liveInGroup(pgid: number): number[] {
  return execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, g, stat]) => Number(g) === pgid && !stat.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/** Polls `probe` every 50 ms until it returns something, for up to `timeoutMs` (test/wait.ts). */
export async function pollFor<T>(what: string, probe: () => T | undefined, timeoutMs = 60_000): Promise<T> {
  return (await waitFor(what, probe, { timeoutMs })) as T;
}
