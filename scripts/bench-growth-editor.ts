/**
 * The editor columns of the growth bench (scripts/bench-growth.mjs runs it once per checkpoint):
 * the packaged VSIX in a fresh code-server (the real extension host) opening the bench's copy of
 * the example, with SLIPWAY_HOME holding the environments the bench brought up. Opens the
 * Environments view, waits until it has listed all of them, runs "Slipway: Refresh" a few times
 * and reads each refresh's duration and the host's heap from the Slipway output channel's log (a
 * debug line, so code-server runs at LOG_LEVEL=debug), then the extension host process's memory
 * from /proc/<pid>/status.
 *
 * Prints one JSON object on stdout; exits 2 when it could not measure.
 *
 *   npx tsx scripts/bench-growth-editor.ts --vsix dist/slipway.vsix --folder DIR --home DIR --environments N [--refreshes 3]
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  installExtension,
  openWorkbench,
  runCommand,
  startCodeServer,
  type CodeServer,
  type Workbench,
} from '../test/e2e/harness';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? process.argv[i + 1] : fallback;
  if (value === undefined) throw new Error(`bench-growth-editor: --${name} is required`);
  return value;
}

const log = (line: string) => console.error(line);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One refresh as the extension logged it. */
interface Listed {
  count: number;
  ms: number;
  heapMiB: number;
}

const LISTED = /environments listed: (\d+) in ([\d.]+) ms \(extension host heap ([\d.]+) MiB\)/g;

/** Every refresh the extension logged so far, in order (the output channel's log file in the user-data logs). */
function listedLines(userDataDir: string): Listed[] {
  const logs = join(userDataDir, 'logs');
  if (!existsSync(logs)) return [];
  const out: Listed[] = [];
  for (const f of readdirSync(logs, { recursive: true, encoding: 'utf8' })) {
    if (!f.endsWith('.log')) continue;
    const text = readFileSync(join(logs, f), 'utf8');
    for (const m of text.matchAll(LISTED)) out.push({ count: Number(m[1]), ms: Number(m[2]), heapMiB: Number(m[3]) });
  }
  return out;
}

/** Every descendant process of `pid`, with its command line (Linux /proc). */
function descendants(pid: number): Array<{ pid: number; cmdline: string }> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Ended while we looked.
    }
  }
  const out: Array<{ pid: number; cmdline: string }> = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${child}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        // Ended while we looked.
      }
      out.push({ pid: child, cmdline });
      queue.push(child);
    }
  }
  return out;
}

/** The extension host among code-server's processes (VS Code forks it with `--type=extensionHost`). */
function extensionHost(server: CodeServer): number {
  const procs = descendants(server.pid);
  const hosts = procs.filter((p) => /--type=extensionHost/.test(p.cmdline));
  if (hosts.length !== 1)
    throw new Error(
      `expected one extension host among code-server's processes, found ${hosts.length}:\n${procs.map((p) => `${p.pid} ${p.cmdline.slice(0, 160)}`).join('\n')}`,
    );
  return hosts[0].pid;
}

/** A process's memory as the kernel counts it (kB fields of /proc/<pid>/status), in MiB. */
function processMemory(pid: number): { rssMiB: number; rssAnonMiB: number; hwmMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) / 1024;
  };
  return { rssMiB: kb('VmRSS'), rssAnonMiB: kb('RssAnon'), hwmMiB: kb('VmHWM') };
}

/** Waits for the first refresh logged after the first `seen` that lists `count` environments. */
async function nextListing(userDataDir: string, seen: number, count: number, timeoutMs: number): Promise<Listed> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = listedLines(userDataDir).slice(seen);
    const hit = lines.find((l) => l.count === count);
    if (hit) return hit;
    if (Date.now() > deadline)
      throw new Error(
        `the Environments view did not log a refresh listing ${count} environments within ${timeoutMs / 1000} s (logged since: ${lines.map((l) => l.count).join(', ') || 'none'})`,
      );
    await sleep(200);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function openView(page: Page): Promise<void> {
  await page.locator('.activitybar .action-item a[aria-label^="Slipway"]').click({ timeout: 90_000 });
  await page.locator('.pane [role="treeitem"]').first().waitFor({ state: 'visible', timeout: 90_000 });
}

async function main(): Promise<void> {
  const vsix = arg('vsix');
  const folder = arg('folder');
  const home = arg('home');
  const environments = Number(arg('environments'));
  const refreshes = Number(arg('refreshes', '3'));
  const scratch = mkdtempSync(join(tmpdir(), 'slipway-growth-editor-'));
  const extensionsDir = join(scratch, 'extensions');
  const userDataDir = join(scratch, 'user-data');
  let server: CodeServer | undefined;
  let workbench: Workbench | undefined;
  try {
    await installExtension(vsix, extensionsDir, userDataDir);
    // LOG_LEVEL=debug: code-server hands it to VS Code, whose output channels then keep debug lines.
    server = await startCodeServer({
      folder,
      extensionsDir,
      userDataDir,
      env: { SLIPWAY_HOME: home, LOG_LEVEL: 'debug' },
    });
    workbench = await openWorkbench(server.url);
    await openView(workbench.page);
    const first = await nextListing(userDataDir, 0, environments, 180_000);
    const host = extensionHost(server);
    const listed = processMemory(host);
    log(
      `    editor at ${environments}: first listing ${first.ms} ms, extension host ${host} rss ${listed.rssMiB.toFixed(0)} MiB`,
    );
    const runs: Listed[] = [];
    for (let i = 0; i < refreshes; i++) {
      const seen = listedLines(userDataDir).length;
      await runCommand(workbench.page, 'Slipway: Refresh', 60_000);
      runs.push(await nextListing(userDataDir, seen, environments, 60_000));
    }
    const after = processMemory(host);
    const result = {
      environments,
      refreshMs: median(runs.map((r) => r.ms)),
      refreshMinMs: Math.min(...runs.map((r) => r.ms)),
      refreshMaxMs: Math.max(...runs.map((r) => r.ms)),
      refreshRunsMs: runs.map((r) => r.ms),
      firstListingMs: first.ms,
      hostPid: host,
      hostRssMiB: after.rssMiB,
      hostRssAnonMiB: after.rssAnonMiB,
      hostPeakRssMiB: after.hwmMiB,
      hostRssListedMiB: listed.rssMiB,
      hostHeapMiB: runs.at(-1)!.heapMiB,
    };
    console.log(JSON.stringify(result));
  } catch (err) {
    if (server) log(`--- code-server output ---\n${server.logs().slice(-4000)}`);
    throw err;
  } finally {
    await workbench?.close().catch(() => undefined);
    await server?.stop().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`growth bench (editor) failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);
