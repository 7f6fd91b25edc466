/**
 * The Environments view: one item per environment (branch or stage, state icon, age and TTL
 * left), children per service with its URL and health. Empty, it shows the welcome content
 * declared in package.json (`viewsWelcome`) with a "Preview Current Branch" button.
 */
import * as vscode from 'vscode';
import type { DatabaseSeedSummary } from '../../environments/data/reseed';
import type { ServiceState } from '../../environments/docker/engine';
import { core } from '../lazy';
import { ageAndTtl, ago, envLabel } from '../format';
import type { EnvironmentItem, ShownState } from '../model';
import type { Slipway } from '../slipway';

export type EnvNode = { kind: 'env'; item: EnvironmentItem };
export type ServiceNode = {
  kind: 'service';
  item: EnvironmentItem;
  service: string;
  url?: string;
  state?: ServiceState;
};
/** A seeded database of an environment: where it was seeded from and when (Re-seed on it). */
export type DatabaseNode = { kind: 'database'; item: EnvironmentItem; seed: DatabaseSeedSummary };
export type Node = EnvNode | ServiceNode | DatabaseNode;

const ICONS: Record<ShownState, vscode.ThemeIcon> = {
  provisioning: new vscode.ThemeIcon('loading~spin'),
  running: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  degraded: new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  drifted: new vscode.ThemeIcon('diff', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  stopped: new vscode.ThemeIcon('debug-stop', new vscode.ThemeColor('disabledForeground')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')),
  absent: new vscode.ThemeIcon('circle-outline'),
};

export class EnvironmentsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  readonly view: vscode.TreeView<Node>;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly slipway: Slipway) {
    this.view = vscode.window.createTreeView('slipway.environments', {
      treeDataProvider: this,
      showCollapseAll: false,
    });
    this.disposables.push(
      this.view,
      this.emitter,
      slipway.model.onDidChange(() => this.update()),
      slipway.quotas.onDidChange(() => this.update()),
      slipway.git.onDidChangeBranch(() => this.update()),
      this.view.onDidChangeVisibility((e) => e.visible && void slipway.model.refresh()),
    );
  }

  private update(): void {
    const error = this.slipway.model.error;
    const count = this.slipway.model.items.length;
    // Quota use against the limits in force (`2/3 mine · 4/10 host`), else the number of environments.
    const quota = this.slipway.quotas.header;
    this.view.description = quota ?? (count ? `${count}` : undefined);
    this.view.message = error ? `$(warning) ${error.split('\n')[0]}` : quotaMessage(this.slipway);
    this.emitter.fire(undefined);
  }

  getChildren(node?: Node): Node[] | Promise<Node[]> {
    if (!node) return this.slipway.model.items.map((item) => ({ kind: 'env', item }));
    if (node.kind !== 'env') return [];
    const { status } = node.item;
    const names = new Set([...Object.keys(status.urls), ...status.services.map((s) => s.service)]);
    const services: Node[] = [...names].sort().map((service) => ({
      kind: 'service',
      item: node.item,
      service,
      url: status.urls[service],
      state: status.services.find((s) => s.service === service),
    }));
    return this.databases(node.item).then((dbs) => [...services, ...dbs]);
  }

  /** The environment's seeded databases, from its seed record (none when it cannot be read). */
  private async databases(item: EnvironmentItem): Promise<Node[]> {
    if (item.state === 'absent') return [];
    try {
      const engine = await this.slipway.engine();
      const { project, branch } = item.status;
      return core()
        .seedSummaries(engine.home, undefined, project, branch)
        .map((seed) => ({ kind: 'database', item, seed }));
    } catch (err) {
      this.slipway.log.warn(`seeded databases of ${item.status.branch} not listed: ${(err as Error).message}`);
      return [];
    }
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'database') return databaseItem(node);
    return node.kind === 'env' ? this.envItem(node) : this.serviceItem(node);
  }

  private envItem(node: EnvNode): vscode.TreeItem {
    const { item } = node;
    const { status } = item;
    const current = this.slipway.git.currentBranch === status.branch;
    const t = new vscode.TreeItem(envLabel(status.branch), vscode.TreeItemCollapsibleState.Expanded);
    t.id = `env:${status.branch}`;
    t.iconPath = ICONS[item.state];
    const state = item.busy
      ? `${item.busy.op === 'down' ? 'tearing down' : 'provisioning'}${item.busy.step ? `: ${item.busy.step}` : ''}`
      : item.state;
    t.description = [
      state,
      item.outdated ? 'out of date' : '',
      ageAndTtl(status.createdAt, item.expiresAt),
      current ? 'current branch' : '',
    ]
      .filter(Boolean)
      .join(' · ');
    t.contextValue = `env.${item.state}${item.outdated ? '.outdated' : ''}${status.branch.startsWith('stage:') ? '.stage' : ''}`;
    const md = new vscode.MarkdownString(undefined, true);
    md.appendMarkdown(`$(${ICONS[item.state].id.replace('~spin', '')}) **`);
    md.appendText(envLabel(status.branch));
    md.appendMarkdown(`** · ${item.state}\n\n`);
    md.appendText(`environment ${status.env || '(new)'} of ${status.project}`);
    if (status.owner) md.appendText(`, brought up by ${status.owner}`);
    if (status.lastOperation)
      md.appendText(
        `\nlast ${status.lastOperation.op}: ${status.lastOperation.status} at ${new Date(status.lastOperation.at).toLocaleString()}`,
      );
    if (status.lastOperation?.error) md.appendText(`\n${status.lastOperation.error}`);
    if (item.outdated) md.appendMarkdown('\n\n$(sync) The spec or a file it uses changed since the last update.');
    t.tooltip = md;
    t.accessibilityInformation = {
      label: `${envLabel(status.branch)}, ${state}${item.outdated ? ', out of date' : ''}`,
      role: 'treeitem',
    };
    return t;
  }

  private serviceItem(node: ServiceNode): vscode.TreeItem {
    const s = node.state;
    const t = new vscode.TreeItem(node.service, vscode.TreeItemCollapsibleState.None);
    t.id = `svc:${node.item.status.branch}:${node.service}`;
    const health = !s ? 'no container' : s.state !== 'running' ? s.state : s.health === 'none' ? 'running' : s.health;
    // A job that exited with code 0 is done: shown as such, not as stopped.
    const done = s?.state === 'completed';
    // A mock of a third-party API runs as service `mock-<name>`; it is shown as that mock.
    const mock = Object.keys(node.item.status.mocks ?? {}).find((name) => `mock-${name}` === node.service);
    if (mock) t.label = `${mock} (mock)`;
    t.description = [node.url, health].filter(Boolean).join(' · ');
    t.iconPath = new vscode.ThemeIcon(
      done
        ? 'pass'
        : !s || s.state !== 'running'
          ? 'circle-slash'
          : s.health === 'unhealthy'
            ? 'warning'
            : s.health === 'starting'
              ? 'loading~spin'
              : mock
                ? 'beaker'
                : 'vm-running',
      !done && (!s || s.state !== 'running' || s.health === 'unhealthy')
        ? new vscode.ThemeColor('problemsWarningIcon.foreground')
        : undefined,
    );
    // A mock's own commands (request log, faults) show on mocks only; every service command shows on both.
    t.contextValue = mock ? 'service.mock' : 'service';
    t.tooltip = `${node.service}: ${health}${node.url ? `\n${node.url}` : ''}${s ? `\ncontainer ${s.containerId.slice(0, 12)}` : ''}`;
    if (node.url) t.command = { command: 'slipway.env.open', title: 'Open in Browser', arguments: [node] };
    return t;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}

/**
 * The view's message: the quota use (a view alone in its container shows no description, so the
 * use is here too), and whether a new preview would be refused. Short: the side bar is narrow; the
 * limit's setting and file are in the dashboard and in a refusal.
 */
function quotaMessage(slipway: Slipway): string | undefined {
  const uses = slipway.quotas.summary?.uses;
  const header = slipway.quotas.header;
  if (!uses || !header) return undefined;
  const full = uses.some((u) => u.key.startsWith('maxEnvironments') && u.used >= u.limit.value);
  return full ? `Quota: ${header}. Used up: a new preview will be refused.` : `Quota: ${header}`;
}

function databaseItem(node: DatabaseNode): vscode.TreeItem {
  const { seed } = node;
  const t = new vscode.TreeItem(seed.database, vscode.TreeItemCollapsibleState.None);
  t.id = `db:${node.item.status.branch}:${seed.database}`;
  t.iconPath = new vscode.ThemeIcon('database');
  t.description = `seeded · ${seed.rows.toLocaleString('en')} rows · ${ago(Date.now() - Date.parse(seed.at))}`;
  t.contextValue = 'database.seeded';
  t.tooltip = [
    `${seed.database}: seeded with a masked copy of ${seed.source}`,
    `policy ${seed.policy} (sha256 ${seed.policyHash.slice(0, 12)})`,
    `${seed.rows} rows in ${seed.tables} tables, ${new Date(seed.at).toLocaleString()}`,
    seed.snapshot
      ? `${seed.clone === 'overlay' ? 'layered on' : 'cloned from'} snapshot ${seed.snapshot}`
      : 'masked anew, not from a snapshot',
  ].join('\n');
  return t;
}
