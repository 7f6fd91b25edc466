/**
 * The environment dashboard: one panel per environment. The webview gets the whole state once
 * (the ready answer), then only what changed (`env/patch`, nothing when nothing did). The spec
 * is read once per panel (again when slipway.yaml changes), logs only when the view asks, and
 * CPU and memory use are sampled slowly while the panel is visible.
 */
import * as vscode from 'vscode';
import type { ServiceUsage } from '../../environments/engine';
import type { Spec } from '../../environments/spec/types';
import { diffEnvironment } from '../../webviews/dashboard/state';
import type { CommandMessage, EnvironmentView, ServiceHealth, ServiceView } from '../../webviews/protocol';
import type { RequestHandlers } from '../../webviews/rpc';
import { shownBytes, shownCores } from '../../webviews/shared/format';
import { core } from '../lazy';
import type { EnvironmentItem } from '../model';
import type { Slipway } from '../slipway';
import { WebviewHost, type PanelKey } from './host';
import { coalesced } from '../coalesce';
import { quotaViews, shareCommand } from './dashboard-share';

/** How often CPU and memory use are sampled while the panel is visible; container state comes with the model's own poll. */
export const USAGE_MS = 10_000;

export class DashboardPanel extends WebviewHost {
  private readonly timer: ReturnType<typeof setInterval>;
  /** The spec, read once per panel; dropped when slipway.yaml changes (undefined: it does not load). */
  private specRead?: Promise<Spec | undefined>;
  /** What the webview shows now: the last state or patch posted (undefined: it needs a full state). */
  private shown?: EnvironmentView;

  constructor(slipway: Slipway, panel: vscode.WebviewPanel, key: PanelKey) {
    super(slipway, panel, 'dashboard', key);
    this.timer = setInterval(() => this.panel.visible && void this.refreshLogged(), USAGE_MS);
    const specs = vscode.workspace.createFileSystemWatcher('**/slipway.{yaml,yml}');
    const specChanged = () => {
      this.specRead = undefined;
      if (this.panel.visible) void this.refreshLogged();
    };
    this.disposables.push(
      { dispose: () => clearInterval(this.timer) },
      specs,
      specs.onDidChange(specChanged),
      specs.onDidCreate(specChanged),
      specs.onDidDelete(specChanged),
      slipway.onDidChangeSpecFile(specChanged),
      slipway.model.onDidChange(() => this.panel.visible && void this.refreshLogged()),
      slipway.quotas.onDidChange(() => this.panel.visible && void this.refreshLogged()),
    );
  }

  private item(): EnvironmentItem | undefined {
    return this.slipway.model.items.find((i) => i.status.branch === this.key.branch);
  }

  /** The webview (re)loaded: it gets the whole state, then patches again. */
  protected override ready(): Promise<void> {
    this.shown = undefined;
    return this.refresh();
  }

  /**
   * Posts what changed since the webview's last state (the whole state when it has none), and
   * nothing when nothing did. One at a time: a slow Docker never piles them up, and a call made
   * during one runs once more after it (it may have read the state before the change).
   */
  protected refresh(): Promise<void> {
    return this.postChanges();
  }

  private readonly postChanges = coalesced(async () => {
    const next = await this.view();
    const shown = this.shown;
    if (!shown) this.post('env/state', next);
    else {
      const patch = diffEnvironment(shown, next);
      if (patch) this.post('env/patch', patch);
    }
    this.shown = next;
  });

  private spec(): Promise<Spec | undefined> {
    return (this.specRead ??= this.slipway.spec().catch(() => {
      // A spec being edited is read again on the next change, not kept as "no spec".
      this.specRead = undefined;
      return undefined;
    }));
  }

  /** The environment's seeded databases; a damaged seed record is logged and shows none. */
  private async seeds(home: string, project: string, branch: string) {
    try {
      return core().seedSummaries(home, await this.spec(), project, branch);
    } catch (err) {
      this.slipway.log.warn(`seeded databases of ${branch} not shown: ${(err as Error).message}`);
      return [];
    }
  }

  private async stageNames(): Promise<string[]> {
    return (await this.spec())?.pipeline?.stages.map((st) => st.name) ?? [];
  }

  /** The core's status and usage as the dashboard's view model (as JSON carries it: no undefined fields). */
  async view(): Promise<EnvironmentView> {
    const engine = await this.slipway.engine();
    const { project, branch } = this.key;
    const item = this.item();
    const status = item?.status ?? (await engine.status(project, branch));
    const usage: ServiceUsage[] = status.services.length > 0 ? await engine.usage(project, branch).catch(() => []) : [];
    const names = [...new Set([...status.services.map((s) => s.service), ...Object.keys(status.urls)])].sort();
    const services = names.map((name): ServiceView => {
      const s = status.services.find((x) => x.service === name);
      const u = usage.find((x) => x.service === name);
      return {
        name,
        state: s?.state ?? 'missing',
        health: (s?.health ?? 'none') as ServiceHealth,
        url: status.urls[name],
        ports: Object.entries(s?.ports ?? {}).map(([container, host]) => ({ container: Number(container), host })),
        image: s?.image ?? '',
        // Rounded as shown: an idle container's wobble is no change.
        cpu: u ? { used: shownCores(u.cpu), quota: u.cpuLimit } : undefined,
        memory: u ? { used: shownBytes(u.memory), quota: u.memoryLimit } : undefined,
      };
    });
    const stage = core().isStageBranch(branch);
    const stages = await this.stageNames();
    const next = core().nextStage(stages, stage);
    const expires = this.slipway.ttl.expiresAt(status);
    const share = stage ? undefined : await this.slipway.shares.view(status.project, status.env).catch(() => undefined);
    const seeds = await this.seeds(engine.home, project, branch);
    return JSON.parse(
      JSON.stringify({
        project: status.project,
        env: status.env,
        branch,
        stage: stage ?? undefined,
        status: item?.state ?? status.status,
        createdAt: status.createdAt,
        updatedAt: status.updatedAt,
        expiresAt: expires === undefined ? undefined : new Date(expires).toISOString(),
        commit: status.commit,
        services,
        lastOperation: status.lastOperation,
        promoteTo: next,
        quotas: quotaViews(this.slipway.quotas.summary?.uses),
        share,
        databases: seeds.length ? seeds.map(({ database, ...seed }) => ({ name: database, ...seed })) : undefined,
      } satisfies EnvironmentView),
    ) as EnvironmentView;
  }

  protected override requests(): Partial<RequestHandlers> {
    return {
      'env/logs': async ({ service, lines }) => {
        const engine = await this.slipway.engine();
        const out: string[] = [];
        await engine.logs(this.key.project, this.key.branch, service, {
          tail: Math.min(lines ?? 200, 5000),
          onLine: (l) => out.push(l),
        });
        return { lines: out };
      },
    };
  }

  protected async command(m: CommandMessage): Promise<void> {
    const { branch } = this.key;
    const run = (id: string, ...args: unknown[]) => vscode.commands.executeCommand(id, ...args);
    switch (m.method) {
      case 'env/open': {
        // The service name comes from the webview: only the environment's own entries count.
        const urls = this.item()?.status.urls;
        const url =
          m.params.service && urls && Object.hasOwn(urls, m.params.service) ? urls[m.params.service] : undefined;
        if (typeof url === 'string') await vscode.env.openExternal(vscode.Uri.parse(url));
        else await run('slipway.env.open', branch);
        return;
      }
      case 'env/share':
      case 'env/copyShare':
      case 'env/revokeShare':
      case 'env/openQuotaSettings':
        await shareCommand(this.slipway, this.key, this.item(), m);
        await this.refresh();
        return;
      case 'env/restart':
        // The command shows progress with Cancel and refreshes the model, which patches this view.
        await run('slipway.service.restart', { project: this.key.project, branch, service: m.params.service });
        return;
      case 'env/promote':
        await run('slipway.env.promote', branch);
        return;
      case 'env/reseed':
        await run('slipway.data.reseed', { branch, database: m.params.database });
        return;
      case 'env/teardown':
        await run('slipway.env.teardown', branch);
        return;
      case 'env/extendTtl':
        await this.slipway.ttl.extend(this.key, m.params.hours);
        await this.refresh();
        return;
      default:
        return;
    }
  }

  override dispose(): void {
    clearInterval(this.timer);
    super.dispose();
  }
}
