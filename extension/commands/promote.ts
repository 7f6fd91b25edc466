/**
 * Slipway: Promote...: moves what a branch (or a stage) runs to the next stage of the pipeline,
 * once that stage's gates pass. A refusal names every blocking gate.
 */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand, withOperation } from './registry';
import { targetEnvironment } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.env.promote',
    async (s, arg, toStage?: string) => {
      const spec = await s.spec();
      const stages = spec.pipeline?.stages.map((st) => st.name) ?? [];
      if (stages.length < 2) {
        void vscode.window.showInformationMessage('slipway.yaml declares no pipeline to promote through (pipeline.stages).');
        return;
      }
      const item = await targetEnvironment(s, arg, 'Promote');
      if (!item) return;
      const { isStageBranch } = core();
      const fromStage = isStageBranch(item.status.branch);
      const next = fromStage ? stages.slice(stages.indexOf(fromStage) + 1) : stages.slice(1);
      if (next.length === 0) {
        void vscode.window.showInformationMessage(`${envLabel(item.status.branch)} is the last stage of the pipeline.`);
        return;
      }
      const to = toStage && next.includes(toStage) ? toStage : next.length === 1 ? next[0] : await vscode.window.showQuickPick(next, { title: `Slipway: Promote ${envLabel(item.status.branch)}`, placeHolder: 'Stage' });
      if (!to) return;
      const from = fromStage ? { stage: fromStage } : { branch: item.status.branch };
      const engine = await s.engine();
      const pipeline = new (core().LocalPipeline)(engine);
      const actor = await core().currentActor(spec.dir);
      const stageBranch = core().stageBranch(to);
      s.model.begin(stageBranch, 'promote');
      try {
        const result = await withOperation(s, `Slipway: promoting ${envLabel(item.status.branch)} to ${to}`, (opts) => pipeline.promote(spec, from, to, { ...opts, actor }));
        const url = Object.values(result.urls)[0];
        void vscode.window.showInformationMessage(`Release ${result.release} of ${to} runs what ${envLabel(item.status.branch)} ran${url ? `: ${url}` : ''}.`);
      } finally {
        s.model.end(stageBranch);
      }
    },
    { trusted: true },
  );
}
