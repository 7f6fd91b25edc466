/**
 * The drift view of an environment: per resource, declared against actual values, with
 * Reapply and Accept per resource and for all. A check runs when the panel opens.
 */
import * as vscode from 'vscode';
import type { DriftItem, DriftReport } from '../../environments/pipeline/drift';
import type { Spec } from '../../environments/spec/types';
import type { CommandMessage, DriftResourceView, DriftView } from '../../webviews/protocol';
import type { SlipwayEvent } from '../../environments/events';
import { resourceKindOf } from '../../environments/kinds';
import { core } from '../lazy';
import { describeEvent, driftValue, envLabel } from '../format';
import type { Slipway } from '../slipway';
import { WebviewHost, type PanelKey } from './host';

type ResourceKind = 'container' | 'network' | 'volume';

/** Groups the core's per-property items into one entry per resource and source. */
export function driftView(report: DriftReport, busy: boolean): DriftView {
  const byResource = new Map<string, DriftResourceView>();
  for (const i of report.items) {
    const urn = `${i.source}:${i.kind}:${i.resource}`;
    let r = byResource.get(urn);
    if (!r) {
      r = { urn, name: i.resource, type: i.kind, source: i.source, properties: [], remedies: [...i.remedies] };
      byResource.set(urn, r);
    }
    r.properties.push({
      path: i.property,
      declared: driftValue(i.property, i.declared),
      actual: driftValue(i.property, i.actual),
    });
    for (const m of i.remedies) if (!r.remedies.includes(m)) r.remedies.push(m);
  }
  return {
    project: report.project,
    env: report.env,
    branch: report.branch,
    checkedAt: report.checkedAt,
    busy,
    resources: [...byResource.values()],
  };
}

export class DriftPanel extends WebviewHost {
  private report?: DriftReport;
  private busy = false;

  constructor(slipway: Slipway, panel: vscode.WebviewPanel, key: PanelKey) {
    super(slipway, panel, 'drift', key);
  }

  protected async refresh(): Promise<void> {
    // The first check runs a Pulumi worker: only in a trusted workspace.
    if (!this.report && !this.busy && vscode.workspace.isTrusted) {
      await this.run('check', () => this.check());
      return;
    }
    this.send();
  }

  private send(): void {
    const { project, branch } = this.key;
    this.post(
      'drift/state',
      this.report ? driftView(this.report, this.busy) : { project, env: '', branch, busy: this.busy, resources: [] },
    );
  }

  /** A stage's own Docker endpoint (from the spec's pipeline); undefined for branches and local stages. */
  private dockerHost(spec: Spec): string | undefined {
    const stage = core().isStageBranch(this.key.branch);
    return stage ? spec.pipeline?.stages.find((s) => s.name === stage)?.dockerHost : undefined;
  }

  private async check(): Promise<DriftReport> {
    const spec = await this.slipway.spec();
    return (await this.slipway.engine()).drift(spec, this.key.branch, {
      dockerHost: this.dockerHost(spec),
      signal: this.abort.signal,
    });
  }

  /** Runs one drift operation with the view marked busy, then shows its report. */
  private async run(what: string, op: () => Promise<DriftReport>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.send();
    try {
      this.report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Slipway: ${what} drift of ${envLabel(this.key.branch)}` },
        op,
      );
      this.slipway.model.setDrifted(this.key.branch, this.report.drifted);
    } finally {
      this.busy = false;
      this.send();
    }
  }

  /** The resource a row names (by the view's id), as the engine's resource reference. */
  private resources(
    resource: string,
    remedy: 'reapply' | 'accept',
  ): Array<{ kind: ResourceKind | 'image' | 'password'; name: string }> {
    const items: DriftItem[] = (this.report?.items ?? []).filter(
      (i) => i.remedies.includes(remedy) && `${i.source}:${i.kind}:${i.resource}` === resource,
    );
    const kinds = new Set(items.map((i) => resourceKindOf(i.kind) ?? i.kind));
    return [...kinds].map((kind) => ({ kind: kind as ResourceKind | 'image' | 'password', name: items[0].resource }));
  }

  /** The resources a command names: one (by the view's urn) or every drifted one. */
  private targets(
    resource: string | undefined,
    remedy: 'reapply' | 'accept',
  ): Array<{ kind: ResourceKind; name: string }> {
    const items: DriftItem[] = (this.report?.items ?? []).filter(
      (i) => i.remedies.includes(remedy) && (!resource || `${i.source}:${i.kind}:${i.resource}` === resource),
    );
    const out = new Map<string, { kind: ResourceKind; name: string }>();
    for (const i of items)
      if (i.kind === 'container' || i.kind === 'network' || i.kind === 'volume')
        out.set(`${i.kind}:${i.resource}`, { kind: i.kind, name: i.resource });
    return [...out.values()];
  }

  /** A remedy's steps, in the Slipway log (the view shows the outcome). */
  private logEvent(remedy: string, e: SlipwayEvent): void {
    const text = describeEvent(e);
    if (text) this.slipway.log.info(`${envLabel(this.key.branch)}: ${remedy}: ${text}`);
  }

  protected async command(m: CommandMessage): Promise<void> {
    const spec = () => this.slipway.spec();
    const engine = () => this.slipway.engine();
    switch (m.method) {
      case 'drift/check':
        await this.run('checking', () => this.check());
        return;
      case 'drift/reapply': {
        const stage = core().isStageBranch(this.key.branch);
        if (stage) {
          void vscode.window.showWarningMessage(
            `Stage ${stage} runs a release, not the working tree: promote a fixed release, or roll back (slipway rollback --stage ${stage}), instead of reapplying.`,
          );
          return;
        }
        const resources = m.params.resource ? this.resources(m.params.resource, 'reapply') : undefined;
        await this.run('reapplying', async () => {
          const [s, e] = await Promise.all([spec(), engine()]);
          // One resource: a reality difference recreates it, a spec difference is a targeted update of it.
          return e.reapply(s, this.key.branch, {
            signal: this.abort.signal,
            resources,
            onEvent: (ev) => this.logEvent('reapply', ev),
          });
        });
        return;
      }
      case 'drift/accept': {
        const targets = this.targets(m.params.resource, 'accept');
        await this.run('accepting', async () => {
          const [s, e] = await Promise.all([spec(), engine()]);
          return e.acceptDrift(s, this.key.branch, {
            dockerHost: this.dockerHost(s),
            signal: this.abort.signal,
            ...(m.params.resource ? { resources: targets } : {}),
          });
        });
        return;
      }
      default:
        return;
    }
  }
}
