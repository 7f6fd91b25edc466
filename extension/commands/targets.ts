/** Which environment or service a command acts on: the view item it was run from, else the current branch's, else a pick. */
import * as vscode from 'vscode';
import { envLabel } from '../format';
import type { EnvironmentItem } from '../model';
import type { Slipway } from '../slipway';
import type { Node, ServiceNode } from '../views/environments';

function isNode(arg: unknown): arg is Node {
  return typeof arg === 'object' && arg !== null && 'kind' in arg && 'item' in arg;
}

export async function targetEnvironment(
  slipway: Slipway,
  arg: unknown,
  verb: string,
): Promise<EnvironmentItem | undefined> {
  if (isNode(arg)) return arg.item;
  if (typeof arg === 'string') {
    // A branch named by a panel, the status bar or a notification: the model may be a poll behind.
    const found = slipway.model.find(arg) ?? (await slipway.model.refresh(), slipway.model.find(arg));
    if (!found) void vscode.window.showInformationMessage(`${envLabel(arg)} has no Slipway environment (any more).`);
    return found;
  }
  await slipway.model.refresh();
  const items = slipway.model.items.filter((i) => i.state !== 'absent');
  if (items.length === 0) {
    void vscode.window.showInformationMessage('No Slipway environment is running for this workspace.');
    return undefined;
  }
  const branch = slipway.git.currentBranch;
  const current = items.find((i) => i.status.branch === branch);
  if (current && items.length === 1) return current;
  const picked = await vscode.window.showQuickPick(
    items.map((i) => ({
      label: envLabel(i.status.branch),
      description: i.state,
      detail: Object.values(i.status.urls).join('  '),
      item: i,
      picked: i === current,
    })),
    { title: `Slipway: ${verb}`, placeHolder: 'Environment' },
  );
  return picked?.item;
}

export async function targetService(
  slipway: Slipway,
  arg: unknown,
  verb: string,
): Promise<{ item: EnvironmentItem; service: string } | undefined> {
  if (isNode(arg) && arg.kind === 'service') return { item: arg.item, service: (arg as ServiceNode).service };
  const item = await targetEnvironment(slipway, arg, verb);
  if (!item) return undefined;
  const services = [
    ...new Set([...item.status.services.map((s) => s.service), ...Object.keys(item.status.urls)]),
  ].sort();
  if (services.length === 1) return { item, service: services[0] };
  const service = await vscode.window.showQuickPick(services, {
    title: `Slipway: ${verb}`,
    placeHolder: `Service of ${envLabel(item.status.branch)}`,
  });
  return service ? { item, service } : undefined;
}

/** The URL to open for an environment: the service's, or the only one, or a pick. */
export async function targetUrl(item: EnvironmentItem, arg: unknown, verb: string): Promise<string | undefined> {
  if (isNode(arg) && arg.kind === 'service') return arg.url;
  const urls = Object.entries(item.status.urls);
  if (urls.length === 0) {
    void vscode.window.showInformationMessage(`${envLabel(item.status.branch)} publishes no HTTP port.`);
    return undefined;
  }
  if (urls.length === 1) return urls[0][1];
  const picked = await vscode.window.showQuickPick(
    urls.map(([service, url]) => ({ label: service, description: url, url })),
    { title: `Slipway: ${verb}`, placeHolder: 'Service' },
  );
  return picked?.url;
}
