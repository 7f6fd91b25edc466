/** Slipway: Show Log: the Slipway output channel, where every operation's full story is. */
import type * as vscode from 'vscode';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';

export function register(slipway: Slipway): vscode.Disposable {
  return registerCommand(slipway, 'slipway.log.show', (s) => s.log.show());
}
