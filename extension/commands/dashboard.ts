/** Slipway: Open Environment Dashboard: services, health, usage, logs and TTL of one environment. */
import type * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import type { Panels } from '../webviews/panels';
import { registerCommand } from './registry';

export function register(slipway: Slipway, panels: Panels): vscode.Disposable {
  return registerCommand(slipway, 'slipway.env.dashboard', (_s, arg) =>
    panels.showFor('dashboard', arg, 'Open Environment Dashboard'),
  );
}
