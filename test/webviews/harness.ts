/**
 * Loads the built webviews in a real headless Chromium, the way VS Code shows them: the page
 * from `webviewHtml()` with its CSP, served from a fake https origin (nothing else is reachable),
 * a stand-in for `acquireVsCodeApi` that records what the page posts and keeps its state across
 * reloads, and VS Code's theme variables and default styles (Dark Modern or Light Modern).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createNonce, webviewHtml } from '../../webviews/html';
import type { HostMessage, WebviewApp } from '../../webviews/protocol';
import { waitFor } from '../wait';
import { THEMES, type ThemeName } from './themes';

export const ROOT = resolve(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-output', 'screenshots');
/** Where the page lives; also its `cspSource`. */
export const ORIGIN = 'https://webview.slipway.test';

/**
 * The Chromium Playwright launches: $SLIPWAY_CHROMIUM or Debian's, as `scripts/bootstrap-editor.sh`
 * installs it (the same lookup as `editorToolchain()` in test/e2e/harness.ts, without needing
 * code-server). Throws saying how to get it: these tests never skip.
 */
export function chromiumPath(): string {
  const browser = process.env.SLIPWAY_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(browser)) {
    throw new Error(
      `Chromium is missing (${browser}): run scripts/bootstrap-editor.sh (as root on Debian/Ubuntu it installs it), or 'apt install chromium', or set SLIPWAY_CHROMIUM=/path/to/chrome.`,
    );
  }
  return browser;
}

export interface BuiltWebviews {
  outdir: string;
  bundles: Array<{ app: string; file: string; bytes: number }>;
  log: string[];
}

let built: Promise<BuiltWebviews> | undefined;
let builtDir: string | undefined;

/** Builds the webviews (minified, as shipped) into a temporary folder, once per test run. */
export function buildOnce(): Promise<BuiltWebviews> {
  built ??= (async () => {
    builtDir = mkdtempSync(join(tmpdir(), 'slipway-webviews-'));
    const log: string[] = [];
    const { buildWebviews } = await import('../../webviews/build.mjs');
    const result = await buildWebviews({ outdir: builtDir, minify: true, log: (l) => log.push(l) });
    return { ...result, log };
  })();
  return built;
}

process.on('exit', () => {
  if (builtDir) rmSync(builtDir, { recursive: true, force: true });
});

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--font-render-hinting=none',
    ],
  });
}

const MIME: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.ttf': 'font/ttf',
  '.html': 'text/html',
};

/** What the stand-in adds to the page's `window`. */
export interface StandIn {
  __posted: unknown[];
  __csp: string[];
  __pwned?: unknown;
}

// The browser globals that functions run in the page (`page.evaluate`, init scripts) use. This
// program is type-checked without the DOM library (the core must not use it), so they are
// declared here, in this module only.
declare const window: StandIn & { postMessage(message: unknown, targetOrigin: string): void };
declare const document: { fonts: { ready: Promise<unknown> } };
declare function requestAnimationFrame(callback: () => void): number;

/**
 * `acquireVsCodeApi` as VS Code defines it (one acquisition per page; state kept by the host
 * across reloads: here in sessionStorage), recording every posted message as a JSON copy. Also
 * records CSP violations. Plain JavaScript text: a function would be transformed for Node first.
 */
const STAND_IN = `(() => {
  const KEY = 'slipway-webview-state';
  window.__posted = [];
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (m) => void window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => {
        const s = sessionStorage.getItem(KEY);
        return s === null ? undefined : JSON.parse(s);
      },
      setState: (s) => {
        sessionStorage.setItem(KEY, JSON.stringify(s));
        return s;
      },
    });
  };
})();`;

export interface Posted {
  type: string;
  method: string;
  id?: number;
  params: Record<string, unknown>;
}

export interface WebviewPage {
  page: Page;
  app: WebviewApp;
  /** Messages the page posted, oldest first (JSON copies). */
  posted(): Promise<Posted[]>;
  /** The messages posted since the last `take()` (or since the page loaded), then forgets them. */
  take(): Promise<Posted[]>;
  /** Posts from the host, as VS Code does (a `message` event on the window). */
  send(message: HostMessage): Promise<void>;
  /** Waits for the page's `webview/ready` (the n-th, counting reloads). */
  ready(count?: number): Promise<void>;
  /** Reloads like VS Code restoring a hidden panel: same state, fresh page. */
  reload(): Promise<void>;
  /** CSP violations the page reported. */
  cspViolations(): Promise<string[]>;
  /**
   * Waits until the page has painted what it was sent and every request it made (an image, a
   * font) has finished or failed, and its handlers (`onload`, `onerror`) had a frame to run.
   */
  settled(): Promise<void>;
  /** Requests to anything but the page's origin (all refused). */
  blocked: string[];
  dialogs: string[];
  errors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface OpenOptions {
  theme?: ThemeName;
  viewport?: { width: number; height: number };
}

/** Opens one built webview app in a fresh browser context. */
export async function openWebview(browser: Browser, app: WebviewApp, opts: OpenOptions = {}): Promise<WebviewPage> {
  const { outdir } = await buildOnce();
  const theme = THEMES[opts.theme ?? 'dark'];
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1100, height: 760 },
    colorScheme: theme.kind === 'vscode-light' ? 'light' : 'dark',
  });
  const blocked: string[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];

  await context.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== ORIGIN) {
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    }
    if (url.pathname === '/index.html') {
      const page = webviewHtml({
        app,
        nonce: createNonce(),
        cspSource: ORIGIN,
        scriptUri: `${ORIGIN}/${app}.js`,
        codiconCssUri: `${ORIGIN}/codicon.css`,
        title: `Slipway ${app}`,
      })
        // VS Code adds its default styles and the theme's variables, and the theme kind as a body class.
        .replace('</head>', `<link rel="stylesheet" href="${ORIGIN}/vscode-theme.css">\n</head>`)
        .replace('<body ', `<body class="${theme.kind}" data-vscode-theme-kind="${theme.kind}" `);
      return route.fulfill({ status: 200, contentType: 'text/html', body: page });
    }
    if (url.pathname === '/vscode-theme.css')
      return route.fulfill({ status: 200, contentType: 'text/css', body: theme.css });
    const file = join(outdir, url.pathname.replace(/^\/+/, ''));
    if (!file.startsWith(outdir) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({
      status: 200,
      contentType: MIME[extname(file)] ?? 'application/octet-stream',
      body: readFileSync(file),
    });
  });

  // The stand-in for VS Code's webview API, injected before any page script like VS Code's own.
  await context.addInitScript({ content: STAND_IN });

  const page = await context.newPage();
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  let inFlight = 0;
  page.on('request', () => inFlight++);
  page.on('requestfinished', () => inFlight--);
  page.on('requestfailed', () => inFlight--);
  const twoFrames = () =>
    page.evaluate(
      () => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))),
    );
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });

  let readies = 0;
  const wp: WebviewPage = {
    page,
    app,
    blocked,
    dialogs,
    errors,
    posted: () => page.evaluate(() => window.__posted) as Promise<Posted[]>,
    take: () => page.evaluate(() => window.__posted.splice(0)) as Promise<Posted[]>,
    send: async (message) => {
      await page.evaluate((m) => window.postMessage(m, '*'), message);
    },
    ready: async (count = readies + 1) => {
      await page.waitForFunction(
        (n) => window.__posted.filter((m) => (m as { method?: string }).method === 'webview/ready').length >= n,
        1,
        { timeout: 10_000 },
      );
      readies = count;
    },
    reload: async () => {
      await page.reload({ waitUntil: 'load' });
      readies = 0;
      await wp.ready(1);
    },
    cspViolations: () => page.evaluate(() => window.__csp),
    settled: async () => {
      await twoFrames();
      await waitFor(
        () => `the page's ${inFlight} request(s) in flight to finish`,
        () => inFlight === 0,
        { timeoutMs: 5_000 },
      );
      await twoFrames();
    },
    screenshot: async (name) => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, name);
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    close: () => context.close(),
  };
  await page.goto(`${ORIGIN}/index.html`, { waitUntil: 'load' });
  await wp.ready(1);
  return wp;
}

/**
 * One Chromium for a suite (launched before it, closed after it) and the webview each test opens
 * with `open`, closed after the test. With `checkPage`, a test that passed must also have caused
 * no CSP violation, no page error and no request outside the webview.
 */
export function webviewSuite(opts: { checkPage: boolean }): {
  open(app: WebviewApp, options?: OpenOptions): Promise<WebviewPage>;
} {
  let browser: Browser | undefined;
  let current: WebviewPage | undefined;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async function () {
    const wv = current;
    current = undefined;
    try {
      // A test may close its webview itself (one per theme): then there is nothing left to check.
      if (wv && !wv.page.isClosed() && opts.checkPage && this.currentTest?.state === 'passed') {
        assert.deepEqual(await wv.cspViolations(), [], 'CSP violations');
        assert.deepEqual(wv.errors, [], 'page errors');
        assert.deepEqual(wv.blocked, [], 'requests outside the webview');
      }
    } finally {
      if (wv && !wv.page.isClosed()) await wv.close();
    }
  });
  return {
    async open(app, options) {
      if (!browser) throw new Error('the suite has no browser: webviewSuite() must be called inside describe()');
      current = await openWebview(browser, app, options);
      return current;
    },
  };
}
