/** The environment dashboard: one panel per environment, refreshed while visible. */
import * as vscode from 'vscode';
import type { ServiceUsage } from '../../environments/engine';
import type { CommandMessage, EnvironmentView, ServiceHealth, ServiceView } from '../../webviews/protocol';
import type { RequestHandlers } from '../../webviews/rpc';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { EnvironmentItem } from '../model';
import type { Slipway } from '../slipway';
import { WebviewHost, type PanelKey } from './host';

const REFRESH_MS = 5000;
const LOG_LINES = 20;

export class DashboardPanel extends WebviewHost {
  private timer?: ReturnType<typeof setInterval>;

  constructor(slipway: Slipway, panel: vscode.WebviewPanel, key: PanelKey) {
    super(slipway, panel, 'dashboard', key);
    this.timer = setInterval(() => this.panel.visible && void this.refresh().catch(() => undefined), REFRESH_MS);
    this.disposables.push({ dispose: () => clearInterval(this.timer) }, slipway.model.onDidChange(() => this.panel.visible && void this.refresh().catch(() => undefined)));
  }

  private item(): EnvironmentItem | undefined {
    return this.slipway.model.items.find((i) => i.status.branch === this.key.branch);
  }

  private inFlight?: Promise<void>;

  /** One refresh at a time: a slow Docker (stats take a second per container) never piles them up. */
  protected refresh(): Promise<void> {
    this.inFlight ??= this.view()
      .then((v) => this.post('env/state', v))
      .finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** The core's status, usage and log tails, as the dashboard's view model. */
  async view(): Promise<EnvironmentView> {
    const engine = await this.slipway.engine();
    const { project, branch } = this.key;
    const item = this.item();
    const status = item?.status ?? (await engine.status(project, branch));
    const usage: ServiceUsage[] = await engine.usage(project, branch).catch(() => []);
    const names = [...new Set([...status.services.map((s) => s.service), ...Object.keys(status.urls)])].sort();
    const services: ServiceView[] = await Promise.all(
      names.map(async (name) => {
        const s = status.services.find((x) => x.service === name);
        const u = usage.find((x) => x.service === name);
        const logs: string[] = [];
        if (s) await engine.logs(project, branch, name, { tail: LOG_LINES, onLine: (l) => logs.push(l) }).catch(() => undefined);
        return {
          name,
          state: s?.state ?? 'missing',
          health: (s?.health ?? 'none') as ServiceHealth,
          url: status.urls[name],
          ports: Object.entries(s?.ports ?? {}).map(([container, host]) => ({ container: Number(container), host })),
          image: s?.image ?? '',
          cpu: u ? { used: u.cpu, quota: u.cpuLimit } : undefined,
          memory: u ? { used: u.memory, quota: u.memoryLimit } : undefined,
          logs,
        };
      }),
    );
    const stage = core().isStageBranch(branch);
    const stages = await this.slipway
      .spec()
      .then((spec) => spec.pipeline?.stages.map((st) => st.name) ?? [])
      .catch(() => [] as string[]);
    const next = stage ? stages[stages.indexOf(stage) + 1] : stages[1];
    const expires = this.slipway.ttl.expiresAt(status);
    return {
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
    };
  }

  protected override requests(): Partial<RequestHandlers> {
    return {
      'env/logs': async ({ service, lines }) => {
        const engine = await this.slipway.engine();
        const out: string[] = [];
        await engine.logs(this.key.project, this.key.branch, service, { tail: Math.min(lines ?? 200, 5000), onLine: (l) => out.push(l) });
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
        const url = m.params.service && urls && Object.hasOwn(urls, m.params.service) ? urls[m.params.service] : undefined;
        if (typeof url === 'string') await vscode.env.openExternal(vscode.Uri.parse(url));
        else await run('slipway.env.open', branch);
        return;
      }
      case 'env/share':
        await run('slipway.env.share', branch);
        return;
      case 'env/restart': {
        const engine = await this.slipway.engine();
        const services = m.params.service ? [m.params.service] : (this.item()?.status.services.map((s) => s.service) ?? []);
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Slipway: restarting ${services.join(', ')} of ${envLabel(branch)}` }, async () => {
          for (const s of services) await engine.restart(this.key.project, branch, s);
        });
        await this.slipway.model.refresh();
        return;
      }
      case 'env/promote':
        await run('slipway.env.promote', branch);
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
