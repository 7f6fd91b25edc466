/** Slipway: Show Pipeline and Gates: the stages and each promotion's gates, for one environment. */
import type * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import type { Panels } from '../webviews/panels';
import { registerCommand } from './registry';

export function register(slipway: Slipway, panels: Panels): vscode.Disposable {
  return registerCommand(
    slipway,
    'slipway.pipeline.show',
    (_s, arg) => panels.showFor('pipeline', arg, 'Show Pipeline and Gates'),
    { trusted: true },
  );
}
