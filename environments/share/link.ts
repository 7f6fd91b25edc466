// A share link made for an environment: the gateway started if needed, a new token stored hashed, the link returned (the only place the token appears).
import type { EnvironmentStatus } from '../engine';
import { SlipwayError } from '../errors';
import { projectSlug } from '../naming';
import { now, touch } from '../quotas/ttl';
import { TOKEN_PARAM } from './gateway';
import { writeShare } from './store';
import { ensureGateway } from './supervise';
import { linkHost, shareBindSetting } from './bind';

export interface ShareLink {
  url: string;
  expires: string;
}

export interface ShareOptions {
  /** The `slipway` CLI script the gateway process runs (`dist/slipway.js`). */
  cli: string;
  service?: string;
  expiresMs?: number;
  /**
   * The gateway's address: another than 127.0.0.1 opens it to the LAN and the link carries this
   * machine's name. Default: `slipway.share.bind` of the settings, else the running gateway's, else 127.0.0.1.
   */
  bind?: string;
  /** The spec's folder, whose workspace settings may set `slipway.share.bind`. */
  workspaceDir?: string;
}

/** A new link to `status`'s environment (any link before it stops working). */
export async function makeShareLink(
  home: string,
  projectName: string,
  status: EnvironmentStatus,
  opts: ShareOptions,
): Promise<ShareLink> {
  const project = projectSlug(projectName);
  const service = opts.service ?? Object.keys(status.urls)[0];
  if (!service || !status.urls[service]) {
    throw new SlipwayError(
      'service-not-found',
      `${projectName} / ${status.branch} has no published service${opts.service ? ` named ${opts.service}` : ''} to share.`,
      {
        hint: 'Only services with published ports can be shared.',
      },
    );
  }
  const bind = opts.bind ?? shareBindSetting(home, opts.workspaceDir)?.bind;
  const gw = await ensureGateway(home, { cli: opts.cli, bind });
  const expires = new Date(now() + (opts.expiresMs ?? 24 * 3600_000)).toISOString();
  const token = writeShare(home, {
    project,
    env: status.env,
    branch: status.branch,
    service,
    createdAt: new Date(now()).toISOString(),
    expiresAt: expires,
  });
  // Sharing is activity too.
  await touch(home, project, status.env, { timeoutMs: 5_000 }).catch(() => undefined);
  return {
    url: `http://${status.env}.${project}.${linkHost(gw.bind)}:${gw.port}/?${TOKEN_PARAM}=${token}`,
    expires,
  };
}
