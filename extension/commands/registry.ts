/**
 * The one registration wrapper of every command: workspace trust for anything that runs
 * infrastructure, errors shown as one actionable message (the full story in the Slipway
 * output channel), and long operations with a progress notification whose Cancel aborts the
 * engine's operation.
 */
import * as vscode from 'vscode';
import type { OperationOptions } from '../../environments/events';
import { describeEvent, messageSummary, withHint } from '../format';
import { core } from '../lazy';
import type { Slipway } from '../slipway';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CommandHandler = (slipway: Slipway, ...args: any[]) => unknown;

export interface CommandOptions {
  /** Runs infrastructure: refused in an untrusted workspace. */
  trusted?: boolean;
}

export const UNTRUSTED_MESSAGE =
  'Slipway does not run environments in an untrusted workspace: slipway.yaml builds and runs containers, and a spec from an unknown source could run anything on your Docker Engine. Trust this workspace to preview it.';

export function registerCommand(
  slipway: Slipway,
  id: string,
  handler: CommandHandler,
  opts: CommandOptions = {},
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    if (opts.trusted && !vscode.workspace.isTrusted) {
      const choice = await vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust');
      if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    try {
      return await handler(slipway, ...args);
    } catch (err) {
      await showError(slipway, err);
      return undefined;
    }
  });
}

/**
 * One message: what happened and what to do; the cause and stack go to the output channel.
 * `actions` are buttons offered before Show Log (a refused promotion's Show Pipeline).
 */
export async function showError(
  slipway: Slipway,
  err: unknown,
  actions: Record<string, () => unknown> = {},
): Promise<void> {
  const { SlipwayError, SpecError } = core();
  if (SlipwayError.is(err, 'operation-cancelled')) {
    slipway.log.info(err.message);
    void vscode.window.showInformationMessage(err.message);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  const hint = SlipwayError.is(err) ? err.hint : undefined;
  slipway.log.error(
    [message, hint, err instanceof Error && !SlipwayError.is(err) ? err.stack : undefined].filter(Boolean).join('\n'),
  );
  if (SpecError.is(err)) {
    const first = err.issues[0];
    const choice = await vscode.window.showErrorMessage(
      `slipway.yaml has ${err.issues.length === 1 ? 'a problem' : `${err.issues.length} problems`}: line ${first.line}, ${first.field || '(root)'}: ${first.message}`,
      'Show Problems',
    );
    if (choice) await vscode.commands.executeCommand('workbench.actions.view.problems');
    return;
  }
  // The first line, and the list it may introduce, in one message.
  const choice = await vscode.window.showErrorMessage(
    withHint(messageSummary(message), hint),
    ...Object.keys(actions),
    'Show Log',
  );
  if (choice === 'Show Log') slipway.log.show(true);
  else if (choice) await actions[choice]();
}

/**
 * Runs a long operation under a cancellable progress notification. Each engine event becomes
 * a progress line and a log line; Cancel aborts the operation's signal.
 */
export function withOperation<T>(
  slipway: Slipway,
  title: string,
  run: (opts: OperationOptions) => Promise<T>,
  onStep?: (step: string) => void,
): Promise<T> {
  const running = vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title, cancellable: true },
    async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => {
        slipway.log.info(`${title}: cancel requested`);
        progress.report({ message: 'cancelling: finishing the step in flight…' });
        abort.abort();
      });
      slipway.log.info(`${title}: started`);
      try {
        return await run({
          signal: abort.signal,
          onEvent: (e) => {
            const text = describeEvent(e);
            if (!text) return;
            slipway.log.info(`${title}: ${text}`);
            if (!abort.signal.aborted) progress.report({ message: text });
            onStep?.(text);
          },
        });
      } finally {
        sub.dispose();
      }
    },
  );
  return Promise.resolve(running);
}
