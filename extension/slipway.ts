/**
 * The extension's one service object: the log channel, the lazily created engine, the
 * workspace's spec, the git tracker and the environments model. Commands and views get it
 * instead of reaching for globals.
 */
import * as vscode from 'vscode';
import type { LocalEnvironments } from '../environments/engine';
import type { Logger } from '../environments/log';
import type { Spec } from '../environments/spec/types';
import { projectNameOf } from './format';
import { GitTracker } from './git';
import { core } from './lazy';
import { EnvironmentsModel } from './model';
import { QuotaStatus } from './quotas';
import { affectsEngine, readSettings, type SlipwaySettings } from './settings';
import { ShareLinks } from './shares';
import { SeedProblems } from './seedProblems';
import { TtlStore } from './ttl';

export class Slipway implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly git: GitTracker;
  readonly model: EnvironmentsModel;
  readonly ttl: TtlStore;
  /** Quota use against the limits in force (the view's header, the dashboard). */
  readonly quotas: QuotaStatus;
  /** Share links: made, kept (this window's, in memory), revoked. */
  readonly shares: ShareLinks;
  /** A failed masking check's columns in the Problems panel. */
  readonly seedProblems = new SeedProblems();
  private enginePromise?: Promise<LocalEnvironments>;
  private specUri?: vscode.Uri;
  private projectName?: string;
  private searched?: Promise<vscode.Uri | undefined>;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly specEmitter = new vscode.EventEmitter<vscode.Uri | undefined>();
  /** Fires when the workspace's spec file is found, moves or disappears. */
  readonly onDidChangeSpecFile = this.specEmitter.event;

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Slipway', { log: true });
    this.git = new GitTracker(() =>
      this.specUri ? vscode.Uri.joinPath(this.specUri, '..') : vscode.workspace.workspaceFolders?.[0]?.uri,
    );
    this.ttl = new TtlStore(
      context.globalState,
      () => this.settings,
      async (key, byMs) => {
        const engine = await this.engine();
        const names = core().envNames(key.project, key.branch);
        await core().touch(engine.home, names.project, names.env, { by: byMs });
      },
    );
    this.model = new EnvironmentsModel(this);
    this.quotas = new QuotaStatus(this);
    this.shares = new ShareLinks(this);
    this.disposables.push(
      this.log,
      this.git,
      this.model,
      this.quotas,
      this.seedProblems,
      this.specEmitter,
      // The spec is searched once, then again only when a spec file appears or goes away.
      ...(() => {
        const w = vscode.workspace.createFileSystemWatcher('**/slipway.{yaml,yml}', false, true, false);
        const again = () => void (this.searched = this.search());
        return [w, w.onDidCreate(again), w.onDidDelete(again)];
      })(),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (affectsEngine(e)) {
          this.enginePromise = undefined;
          void this.model.refresh();
        }
        if (['slipway.quotas', 'slipway.ttl', 'slipway.checks'].some((k) => e.affectsConfiguration(k)))
          void this.syncUserSettings();
      }),
    );
  }

  /** The core's logger, backed by the Slipway output channel. */
  get logger(): Logger {
    const log = this.log;
    return {
      trace: (m) => log.trace(m),
      debug: (m) => log.debug(m),
      info: (m) => log.info(m),
      warn: (m) => log.warn(m),
      error: (m) => log.error(m),
    };
  }

  /** Settings warnings already shown: a bad value is reported once, not on every read. */
  private readonly warned = new Set<string>();

  get settings(): SlipwaySettings {
    return readSettings((message) => {
      if (this.warned.has(message)) return;
      this.warned.add(message);
      this.log.warn(message);
      void vscode.window.showWarningMessage(message);
    });
  }

  get specFile(): vscode.Uri | undefined {
    return this.specUri;
  }

  /** The spec's project name, once the spec has been read (the view needs it to list environments). */
  get project(): string | undefined {
    return this.projectName;
  }

  /** The workspace's slipway.yaml (the shallowest one), searched on first use and when spec files come and go. */
  findSpec(): Promise<vscode.Uri | undefined> {
    // A failed search is not kept: the next call searches again.
    return (this.searched ??= this.search().catch((err: unknown) => {
      this.searched = undefined;
      throw err;
    }));
  }

  private async search(): Promise<vscode.Uri | undefined> {
    const found = await vscode.workspace.findFiles('**/slipway.{yaml,yml}', '**/node_modules/**', 20);
    found.sort((a, b) => a.path.split('/').length - b.path.split('/').length || a.path.localeCompare(b.path));
    const next = found[0];
    if (next?.toString() !== this.specUri?.toString()) {
      this.specUri = next;
      this.projectName = undefined;
      void vscode.commands.executeCommand('setContext', 'slipway.hasSpec', !!next);
      this.specEmitter.fire(next);
    }
    if (next && !this.projectName) this.projectName = projectNameOf(await readText(next));
    return next;
  }

  /** Loads and validates the spec; a bad spec throws the core's SpecError (file, line, field). */
  async spec(): Promise<Spec> {
    const uri = this.specUri ?? (await this.findSpec());
    if (!uri) {
      throw new (core().SlipwayError)('spec-not-found', 'This workspace has no slipway.yaml.', {
        hint: 'Create slipway.yaml at the root of the project (the getting-started walkthrough shows how).',
      });
    }
    const spec = await core().loadSpec(uri.fsPath);
    this.projectName = spec.name;
    return spec;
  }

  engine(): Promise<LocalEnvironments> {
    if (!this.enginePromise) {
      const s = this.settings;
      this.enginePromise = core().LocalEnvironments.create({
        home: s.stateFolder,
        backendUrl: s.backendUrl,
        dockerHost: s.dockerHost,
        logger: this.logger,
        // One stack worker per project kept between operations (0: a fresh one each time); ended on deactivation.
        warmWorker: { start: s.warmWorkerIdleMs > 0, idleMs: s.warmWorkerIdleMs },
      });
      this.enginePromise.catch(() => (this.enginePromise = undefined));
      void this.syncUserSettings();
    }
    return this.enginePromise;
  }

  /**
   * The CLI and the checks gate read the user's own limits and allowed checks hosts from SLIPWAY_HOME/settings.json: it gets the values set
   * in the user's VS Code settings (not the workspace's, which the CLI reads itself).
   */
  private async syncUserSettings(): Promise<void> {
    try {
      const engine = await this.engine();
      const c = vscode.workspace.getConfiguration('slipway');
      const values: Record<string, unknown> = {};
      for (const key of core().SYNCED_SETTINGS) values[key] = c.inspect(key)?.globalValue;
      core().writeUserSettings(engine.home, values);
    } catch (err) {
      this.log.warn(`Could not write the user's Slipway settings for the CLI: ${(err as Error).message}`);
    }
  }

  /** The checked-out branch: from the git extension, else from git itself. */
  async currentBranch(): Promise<string> {
    if (this.git.currentBranch) return this.git.currentBranch;
    const dir = this.specUri
      ? vscode.Uri.joinPath(this.specUri, '..').fsPath
      : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!dir)
      throw new (core().SlipwayError)('git-branch-unknown', 'No folder is open.', {
        hint: 'Open the folder that holds slipway.yaml.',
      });
    return core().currentBranch(dir);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}
