/**
 * Share links as the editor handles them: made through the core (as `slipway share`), the link this
 * window made kept in memory only (its token is a secret: never in the webview, a log or a file),
 * revoked through the core (as `slipway share --revoke`), and shown to the dashboard without the token.
 */
import { hostname } from 'node:os';
import * as vscode from 'vscode';
import type { EnvironmentStatus } from '../environments/engine';
import type { ShareLink } from '../environments/share/link';
import type { ShareView } from '../webviews/protocol';
import { core } from './lazy';
import type { Slipway } from './slipway';

const TOKEN_PARAM = 'slipway_token';

/** The link without its token: what a person may see anywhere. */
export function linkAddress(url: string): string {
  const u = new URL(url);
  u.searchParams.delete(TOKEN_PARAM);
  return u.toString();
}

export class ShareLinks {
  /** Links this window made, by `<project>/<env>`. */
  private readonly made = new Map<string, ShareLink>();

  constructor(private readonly slipway: Slipway) {}

  private keyOf(project: string, env: string): string {
    return `${core().projectSlug(project)}/${env}`;
  }

  /** A new link (any earlier one stops working), kept so Copy can copy it again. */
  async make(projectName: string, status: EnvironmentStatus): Promise<ShareLink> {
    const engine = await this.slipway.engine();
    // The gateway is the extension's own gateway.js, detached, so it outlives this window.
    const cli = vscode.Uri.joinPath(this.slipway.context.extensionUri, 'dist', 'extension', 'gateway.js').fsPath;
    // The workspace's `slipway.share.bind` (in the editor, or in the spec folder's .vscode/settings.json,
    // as the CLI reads it) before the user's, which the core reads from SLIPWAY_HOME/settings.json.
    const setting = vscode.workspace.getConfiguration('slipway').inspect<string>('share.bind');
    const bind = setting?.workspaceFolderValue ?? setting?.workspaceValue;
    const workspaceDir = await this.slipway.spec().then(
      (spec) => spec.dir,
      () => undefined,
    );
    const link = await core().makeShareLink(engine.home, projectName, status, { cli, bind, workspaceDir });
    this.made.set(this.keyOf(projectName, status.env), link);
    return link;
  }

  /** The link this window made, while it is still the one in force (not replaced, not revoked). */
  async kept(projectName: string, env: string): Promise<ShareLink | undefined> {
    const link = this.made.get(this.keyOf(projectName, env));
    if (!link) return undefined;
    const engine = await this.slipway.engine();
    const share = safely(() => core().readShare(engine.home, core().projectSlug(projectName), env));
    const token = new URL(link.url).searchParams.get(TOKEN_PARAM) ?? undefined;
    return share && core().tokenMatches(share, token) ? link : undefined;
  }

  /** Ends the environment's link; false when it had none. */
  async revoke(projectName: string, env: string): Promise<boolean> {
    const engine = await this.slipway.engine();
    this.made.delete(this.keyOf(projectName, env));
    return core().removeShare(engine.home, core().projectSlug(projectName), env);
  }

  /** What the dashboard shows of the environment's link (never its token); undefined when it has none. */
  async view(projectName: string, env: string, now = Date.now()): Promise<ShareView | undefined> {
    if (!env) return undefined;
    const engine = await this.slipway.engine();
    const project = core().projectSlug(projectName);
    const share = safely(() => core().readShare(engine.home, project, env));
    if (!share) return undefined;
    const kept = await this.kept(projectName, env);
    let address: string;
    if (kept) address = linkAddress(kept.url);
    else {
      const gw = core().liveGateway(engine.home);
      const host = !gw || gw.bind === '127.0.0.1' || gw.bind === 'localhost' ? 'localhost' : hostname();
      address = gw
        ? `http://${env}.${project}.${host}:${gw.port}/`
        : `http://${env}.${project}.localhost/ (gateway not running)`;
    }
    return {
      address,
      expiresAt: share.expiresAt,
      createdAt: share.createdAt,
      service: share.service,
      copyable: !!kept,
      expired: Date.parse(share.expiresAt) <= now,
    };
  }
}

function safely<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
