/**
 * What the editor end-to-end tests share: the VSIX as `npm run package` builds it, the example
 * shop as a git work tree, the Environments view's rows, notifications, the webviews' inner pages
 * (and their restore after a reload), and what an environment left on the engine.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { LABEL_ENV, envNames } from '../../environments/naming';
import { ROOT, docker, git, labelled } from '../integration/helpers';
import { waitFor } from '../wait';
import {
  installExtension,
  openWorkbench,
  runCommand,
  screenshot,
  startCodeServer,
  type CodeServer,
  type Workbench,
} from './harness';

/** Builds the VSIX exactly as `npm run package` does; returns its path. */
export function packageVsix(): string {
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const vsix = join(ROOT, 'dist', 'slipway.vsix');
  assert.ok(existsSync(vsix), 'npm run package made no dist/slipway.vsix');
  return vsix;
}

/** The Environments view's tree rows, by their accessible labels. */
/** The freshly packaged VSIX installed into a new code-server on `folder` (state in `home`, more of its environment in `env`), open in Chromium. */
export async function openEditor(
  scratch: string,
  folder: string,
  home: string,
  env: Record<string, string> = {},
): Promise<{ server: CodeServer; workbench: Workbench }> {
  const extensionsDir = join(scratch, 'extensions');
  const userDataDir = join(scratch, 'user-data');
  await installExtension(packageVsix(), extensionsDir, userDataDir);
  const server = await startCodeServer({ folder, extensionsDir, userDataDir, env: { ...env, SLIPWAY_HOME: home } });
  return { server, workbench: await openWorkbench(server.url) };
}

/** A git work tree of the example shop in `dir`, with one commit on `main`. */
export function shopRepo(dir: string): string {
  cpSync(join(ROOT, 'examples', 'shop'), dir, { recursive: true, filter: (src) => !src.includes('node_modules') });
  git(['init', '-q', '-b', 'main'], dir);
  git(['add', '.'], dir);
  git(['-c', 'user.email=e2e@slipway.test', '-c', 'user.name=e2e', 'commit', '-qm', 'shop'], dir);
  return dir;
}

/** The Environments view's tree rows, by their accessible labels. */
export function envRow(page: Page, startsWith: string) {
  return page.locator(`.pane [role="treeitem"][aria-label^="${startsWith.replace(/"/g, '\\"')}"]`);
}

/** Docker objects labelled for a branch's environment of a project, by kind. */
export async function leftOnEngine(project: string, branch: string): Promise<Record<string, number>> {
  const l = await labelled(project, branch);
  const images = await docker.listImages({ filters: { label: [`${LABEL_ENV}=${envNames(project, branch).env}`] } });
  return {
    containers: l.containers.length,
    networks: l.networks.length,
    volumes: l.volumes.length,
    images: images.length,
  };
}

/**
 * The page inside a webview of the given app. VS Code nests each webview (an outer iframe, its
 * host document, holds the page in an inner frame), so every frame is asked for the app's body.
 */
export async function webviewFrame(page: Page, app: string, timeout = 60_000): Promise<Frame> {
  const find = async () => {
    for (const frame of page.frames()) {
      if (
        (await frame
          .locator(`body[data-app="${app}"]`)
          .count()
          .catch(() => 0)) > 0
      )
        return frame;
    }
    return undefined;
  };
  try {
    return await waitFor(
      () =>
        `the ${app} webview (frames: ${page
          .frames()
          .map((f) => f.name() || f.url())
          .join(', ')})`,
      find,
      { timeoutMs: timeout, intervalMs: 250 },
    );
  } catch (err) {
    await screenshot(page, `extension-no-${app}-webview`);
    throw err;
  }
}

/**
 * Reloads the workbench as a user does in the editor (Developer: Reload Window) and returns the
 * restored webview of the app. That command has VS Code write its state (the open editors, each
 * webview's saved state) before the page goes; a bare browser reload leaves it to the page's
 * unload, and state saved in the last moments can be lost, so a panel opened just before it is
 * not restored. The webview's host document puts the HTML the extension set into a new inner
 * frame ("pending-frame") and shows it once that frame has loaded VS Code's placeholder page
 * through its service worker. After a reload that load can stall in the browser: the HTML has
 * arrived (so the serializer did its part) and never shows, or shows without the app's page in
 * it. Only in that case (a host holding pending content, or an inner frame the extension's HTML
 * made), seen and reported, the workbench is reloaded once more; a host with no content at all
 * means the serializer set nothing, and the test fails.
 */
export async function reloadAndRestore(page: Page, app: string): Promise<Frame> {
  for (let attempt = 1; ; attempt++) {
    const reloaded = page.waitForEvent('framenavigated', {
      predicate: (frame) => frame === page.mainFrame(),
      timeout: 60_000,
    });
    // Together: a command that fails leaves no wait for the navigation to reject unobserved later.
    await Promise.all([reloaded, runCommand(page, 'Developer: Reload Window')]);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 90_000 });
    try {
      return await webviewFrame(page, app, 60_000);
    } catch (err) {
      const hosts = await webviewHosts(page);
      // The inner frame keeps its name once it has loaded (only its id changes): the HTML arrived.
      const innerFrames = page.frames().filter((f) => f.name() === 'pending-frame').length;
      console.log(
        `      after reload ${attempt}, webview hosts: ${JSON.stringify(hosts)}, inner frames: ${innerFrames}`,
      );
      const stalledInBrowser = hosts.length > 0 && (hosts.every((h) => h.pending) || innerFrames > 0);
      if (attempt >= 2 || !stalledInBrowser) throw err;
    }
  }
}

/** Each webview host frame: whether a service worker controls it, and whether it still waits for content. */
async function webviewHosts(page: Page): Promise<Array<{ frame: string; controlled: boolean; pending: boolean }>> {
  const out: Array<{ frame: string; controlled: boolean; pending: boolean }> = [];
  for (const frame of page.frames()) {
    if (!frame.url().includes('/webview/browser/pre/index.html')) continue;
    const state = await frame
      .evaluate(
        `({ controlled: !!navigator.serviceWorker?.controller, pending: !!document.getElementById('pending-frame') })`,
      )
      .catch(() => undefined);
    if (state)
      out.push({ frame: frame.name() || frame.url(), ...(state as { controlled: boolean; pending: boolean }) });
  }
  return out;
}

export const notification = (page: Page, text: string | RegExp) =>
  page.locator('.notifications-toasts .notification-toast', { hasText: text });

/**
 * Dismisses a notification toast as a user does: hovers it and clicks its Clear Notification
 * button. A toast that stays (the click can land while the toast is still being laid out) is
 * cleared with "Notifications: Clear All Notifications". Waits until it is gone.
 */
export async function dismissNotification(page: Page, toast: Locator): Promise<void> {
  await toast.hover();
  await toast.getByRole('button', { name: /^Clear Notification/ }).click({ timeout: 10_000 });
  const gone = await toast
    .waitFor({ state: 'hidden', timeout: 5_000 })
    .then(() => true)
    .catch(() => false);
  if (gone) return;
  await runCommand(page, 'Notifications: Clear All Notifications');
  await toast.waitFor({ state: 'hidden', timeout: 10_000 });
}
