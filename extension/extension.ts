/**
 * Slipway's VS Code extension: a thin face over the core (environments/). Activation registers
 * views, commands and listeners only; the core (Docker, Pulumi, YAML, JSON Schema) is loaded on
 * first use from dist/extension/core.js.
 */
import * as vscode from 'vscode';
import { trackBranches } from './branches';
import * as createSpec from './commands/createSpec';
import * as dashboard from './commands/dashboard';
import * as drift from './commands/drift';
import * as installCli from './commands/installCli';
import * as logs from './commands/logs';
import * as mocks from './commands/mocks';
import * as open from './commands/open';
import * as openSpec from './commands/openSpec';
import * as preview from './commands/preview';
import * as pipeline from './commands/pipeline';
import * as previewBranch from './commands/previewBranch';
import * as promote from './commands/promote';
import * as refresh from './commands/refresh';
import * as reseed from './commands/reseed';
import * as restart from './commands/restart';
import * as share from './commands/share';
import * as showLog from './commands/showLog';
import * as teardown from './commands/teardown';
import * as teardownMine from './commands/teardownMine';
import * as update from './commands/update';
import { SpecDiagnostics } from './diagnostics';
import { loadedCore } from './lazy';
import { ExpiryWarnings } from './expiry';
import { GarbageCollector } from './gc';
import { Slipway } from './slipway';
import { SeedSchedule } from './seedSchedule';
import { SpecWatcher } from './specWatcher';
import { StatusBar } from './statusBar';
import { registerUriHandler } from './uriHandler';
import { EnvironmentsView } from './views/environments';
import { Panels } from './webviews/panels';

/** What the extension tells other extensions (and its in-host tests): read-only views of its state. */
export interface SlipwayApi {
  /** The branch the view and status bar follow. */
  currentBranch(): string | undefined;
  /** The status bar item's text, or undefined while it is hidden. */
  statusText(): string | undefined;
  /** The environments the view lists: branch and the state shown. */
  environments(): Array<{ branch: string; state: string }>;
}

export function activate(context: vscode.ExtensionContext): SlipwayApi {
  const started = performance.now();
  const slipway = new Slipway(context);
  const subs = context.subscriptions;
  const statusBar = new StatusBar(slipway);
  const panels = new Panels(slipway);
  subs.push(slipway, new EnvironmentsView(slipway), statusBar, panels);
  for (const command of [
    preview,
    previewBranch,
    update,
    open,
    share,
    logs,
    restart,
    reseed,
    promote,
    teardown,
    teardownMine,
    refresh,
    openSpec,
    showLog,
    createSpec,
    installCli,
    mocks,
  ]) {
    const d = command.register(slipway);
    subs.push(...(Array.isArray(d) ? d : [d]));
  }
  for (const command of [dashboard, pipeline, drift]) subs.push(command.register(slipway, panels));
  subs.push(registerUriHandler(slipway, panels));
  subs.push(...trackBranches(slipway));
  subs.push(new ExpiryWarnings(slipway), new GarbageCollector(slipway));

  // Everything below touches the disk, git or the core: after activation returns.
  setTimeout(() => {
    void (async () => {
      await slipway.findSpec();
      subs.push(new SpecDiagnostics(slipway.log));
      await installCli
        .refreshLauncher(slipway)
        .catch((err) =>
          slipway.log.warn(`slipway launcher not updated: ${err instanceof Error ? err.message : String(err)}`),
        );
      await slipway.git
        .start()
        .catch((err) =>
          slipway.log.warn(`git extension unavailable: ${err instanceof Error ? err.message : String(err)}`),
        );
      // Watching build contexts is for updating environments: a trusted workspace's business.
      if (vscode.workspace.isTrusted) subs.push(new SpecWatcher(slipway), new SeedSchedule(slipway));
      else
        subs.push(
          vscode.workspace.onDidGrantWorkspaceTrust(() =>
            subs.push(new SpecWatcher(slipway), new SeedSchedule(slipway)),
          ),
        );
      await slipway.model.refresh();
    })().catch((err) =>
      slipway.log.error(`Slipway could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    );
  }, 0);
  slipway.log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return {
    currentBranch: () => slipway.git.currentBranch,
    statusText: () => statusBar.text,
    environments: () => slipway.model.items.map((i) => ({ branch: i.status.branch, state: i.state })),
  };
}

export function deactivate(): Promise<void> {
  // The warm stack workers this editor started (a run in flight is cancelled first).
  loadedCore()?.stopWarmWorkers();
  return Promise.resolve();
}
