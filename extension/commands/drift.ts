/** Slipway: Show Drift: declared against actual values of one environment, with Reapply and Accept. */
import type * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import type { Panels } from '../webviews/panels';
import { registerCommand } from './registry';

export function register(slipway: Slipway, panels: Panels): vscode.Disposable {
  return registerCommand(slipway, 'slipway.drift.show', (_s, arg) => panels.showFor('drift', arg, 'Show Drift'), {
    trusted: true,
  });
}
