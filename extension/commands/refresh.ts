/** Slipway: Refresh: asks the core again for every environment's state. */
import type * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.env.refresh', (s) => s.model.refresh());
}
