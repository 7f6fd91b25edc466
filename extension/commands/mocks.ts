/** Slipway: Mock Request Log and Inject Mock Fault: a mock's redacted request log in an output channel, and runtime faults from a pick. */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import { core } from '../lazy';
import type { EnvironmentItem } from '../model';
import type { Slipway } from '../slipway';
import { registerCommand } from './registry';
import { targetEnvironment } from './targets';

const POLL_MS = 1000;
const following = new Map<string, { channel: vscode.OutputChannel; timer?: NodeJS.Timeout }>();

/** The mock a command acts on: the view's `<name> (mock)` item, else a pick among the environment's mocks. */
async function targetMock(
  slipway: Slipway,
  arg: unknown,
  verb: string,
): Promise<{ item: EnvironmentItem; mock: string; url: string } | undefined> {
  const node = arg as { kind?: string; service?: string; item?: EnvironmentItem } | undefined;
  const item = node?.kind === 'service' && node.item ? node.item : await targetEnvironment(slipway, arg, verb);
  if (!item) return undefined;
  const mocks = item.status.mocks ?? {};
  const fromNode = Object.keys(mocks).find((name) => `mock-${name}` === node?.service);
  const names = Object.keys(mocks);
  if (names.length === 0) {
    void vscode.window.showInformationMessage(`${envLabel(item.status.branch)} runs no mock.`);
    return undefined;
  }
  const mock =
    fromNode ??
    (names.length === 1
      ? names[0]
      : await vscode.window.showQuickPick(names, { title: `Slipway: ${verb}`, placeHolder: 'Mock' }));
  return mock ? { item, mock, url: mocks[mock] } : undefined;
}

const FAULTS: Array<{
  label: string;
  fault?: { status?: number; latencyMs?: number; drop?: boolean; timeout?: boolean };
}> = [
  { label: '503 on every request', fault: { status: 503 } },
  { label: '429 with Retry-After on every request', fault: { status: 429 } },
  { label: '2 s of latency', fault: { latencyMs: 2000 } },
  { label: 'Drop connections', fault: { drop: true } },
  { label: 'Never answer (time out)', fault: { timeout: true } },
  { label: 'Clear faults' },
];

export function register(slipway: Slipway): vscode.Disposable[] {
  return [
    registerCommand(
      slipway,
      'slipway.mock.log',
      async (s, arg) => {
        const target = await targetMock(s, arg, 'Mock Request Log');
        if (!target) return;
        const key = `${target.item.status.project}/${target.item.status.branch}/${target.mock}`;
        const previous = following.get(key);
        if (previous?.timer) clearInterval(previous.timer);
        const channel =
          previous?.channel ??
          vscode.window.createOutputChannel(`Slipway: ${target.mock} mock (${envLabel(target.item.status.branch)})`);
        const entry: { channel: vscode.OutputChannel; timer?: NodeJS.Timeout } = { channel };
        following.set(key, entry);
        channel.clear();
        channel.show(true);
        let after = 0;
        const poll = async () => {
          const { entries, next } = await core().readLog(target.url, after);
          after = next;
          for (const e of entries) channel.appendLine(core().formatLogEntry(e));
        };
        await poll();
        entry.timer = setInterval(() => void poll().catch(() => undefined), POLL_MS);
      },
      { trusted: true },
    ),
    registerCommand(
      slipway,
      'slipway.mock.fault',
      async (s, arg) => {
        const target = await targetMock(s, arg, 'Inject Mock Fault');
        if (!target) return;
        const picked = await vscode.window.showQuickPick(FAULTS, {
          title: `Slipway: fault for ${target.mock}`,
          placeHolder: 'Takes effect on the next request',
        });
        if (!picked) return;
        if (picked.fault) await core().setFault(target.url, picked.fault);
        else await core().clearFaults(target.url);
        void vscode.window.showInformationMessage(
          `${target.mock} mock: ${picked.fault ? picked.label.toLowerCase() : 'faults cleared'}.`,
        );
      },
      { trusted: true },
    ),
    {
      dispose: () => {
        for (const { channel, timer } of following.values()) {
          if (timer) clearInterval(timer);
          channel.dispose();
        }
        following.clear();
      },
    },
  ];
}
