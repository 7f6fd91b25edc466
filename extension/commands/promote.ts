/**
 * Slipway: Promote...: moves what a branch (or a stage) runs to the next stage of the pipeline
 * (one stage at a time), once that stage's gates pass. A refusal names every blocking gate.
 */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';
import { registerCommand, showError, withOperation } from './registry';
import { targetEnvironment } from './targets';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.env.promote',
    async (s, arg, toStage?: string) => {
      const spec = await s.spec();
      const stages = spec.pipeline?.stages.map((st) => st.name) ?? [];
      if (stages.length < 2) {
        void vscode.window.showInformationMessage(
          'slipway.yaml declares no pipeline to promote through (pipeline.stages).',
        );
        return;
      }
      const item = await targetEnvironment(s, arg, 'Promote');
      if (!item) return;
      const { isStageBranch } = core();
      const fromStage = isStageBranch(item.status.branch);
      // Promotions go one stage at a time: a branch into the second stage, a stage into the one after it.
      if (fromStage && !stages.includes(fromStage)) {
        throw new (core().SlipwayError)(
          'pipeline-invalid',
          `slipway.yaml declares no stage ${fromStage} any more (its stages: ${stages.join(' -> ')}).`,
          {
            hint: `Tear the ${fromStage} environment down, or declare the stage again.`,
          },
        );
      }
      const to = core().nextStage(stages, fromStage);
      if (!to) {
        void vscode.window.showInformationMessage(`${envLabel(item.status.branch)} is the last stage of the pipeline.`);
        return;
      }
      if (toStage && toStage !== to) {
        throw new (core().SlipwayError)(
          'pipeline-invalid',
          `${envLabel(item.status.branch)} promotes to ${to}, not ${toStage}: promotions go one stage at a time (${stages.join(' -> ')}).`,
        );
      }
      const from = fromStage ? { stage: fromStage } : { branch: item.status.branch };
      const engine = await s.engine();
      const pipeline = new (core().LocalPipeline)(engine);
      const actor = await core().currentActor(spec.dir);
      const stageBranch = core().stageBranch(to);
      s.model.begin(stageBranch, 'promote');
      try {
        const result = await withOperation(s, `Slipway: promoting ${envLabel(item.status.branch)} to ${to}`, (opts) =>
          pipeline.promote(spec, from, to, { ...opts, actor }),
        );
        // The app's link, not a mock's (a mock runs as service mock-<name>).
        const mocks = new Set((spec.mocks ?? []).map((m) => `mock-${m.name}`));
        const url = Object.entries(result.urls).find(([svc]) => !mocks.has(svc))?.[1];
        void vscode.window.showInformationMessage(
          `Release ${result.release} of ${to} runs what ${envLabel(item.status.branch)} ran${url ? `: ${url}` : ''}.`,
        );
      } catch (err) {
        if (!core().SlipwayError.is(err, 'gates-failed')) throw err;
        // Refused: the gates that block, in one message, and this environment's pipeline a click away.
        await showError(s, err, {
          'Show Pipeline': () => vscode.commands.executeCommand('slipway.pipeline.show', item.status.branch),
        });
      } finally {
        s.model.end(stageBranch);
      }
    },
    { trusted: true },
  );
}
