// `slipway share`: a protected link to the branch environment's service through the gateway; --revoke ends it.
import { hostname } from 'node:os';
import { SlipwayError } from '../../errors';
import { projectSlug } from '../../naming';
import { now, touch } from '../../quotas/ttl';
import { TOKEN_PARAM } from '../../share/gateway';
import { removeShare, writeShare } from '../../share/store';
import { ensureGateway } from '../../share/supervise';
import { checkService, durationOption, engine, requireEnvironment, specAndBranch, str, type Command } from '../context';
import { common, engineOptions } from '../options';
import { printJson } from '../print';

export const share: Command = {
  summary: "Print a protected link to the branch environment's service, for a reviewer (--revoke ends it)",
  options: {
    branch: common.branch,
    service: { type: 'string', arg: 'NAME', help: 'the service it opens (default: the first with a published port)', conflicts: ['revoke'] },
    expires: { type: 'string', arg: 'DUR', default: '24h', help: 'how long the link works, such as 24h (default: 24h)', conflicts: ['revoke'] },
    bind: { type: 'string', arg: 'ADDR', help: "the gateway's address: 0.0.0.0 opens it to the LAN, and the link carries this machine's name (default: slipway.share.bind, else 127.0.0.1)", conflicts: ['revoke'] },
    revoke: { type: 'boolean', default: false, help: 'end the link: it answers 404 from now on' },
    spec: common.spec,
    ...engineOptions,
  },
  async run(ctx) {
    const expiresMs = durationOption(ctx, 'expires') ?? 24 * 3600_000;
    const { spec, branch } = await specAndBranch(ctx);
    const envs = await engine(ctx);
    const s = await requireEnvironment(envs, spec.name, branch);
    const project = projectSlug(spec.name);
    if (ctx.values.revoke) {
      const had = removeShare(envs.home, project, s.env);
      if (ctx.json) printJson(ctx, { branch, revoked: had });
      else ctx.out(had ? `The link to ${spec.name} / ${branch} is revoked.` : `${spec.name} / ${branch} had no link.`);
      return 0;
    }
    const wanted = str(ctx, 'service');
    const service = wanted !== undefined ? checkService(spec, wanted) : Object.keys(s.urls)[0];
    if (!service || !s.urls[service]) throw new SlipwayError('service-not-found', `${spec.name} / ${branch} has no published service to share.`, { hint: 'Only services with published ports can be shared.' });
    const bind = str(ctx, 'bind') ?? process.env.SLIPWAY_SHARE_BIND ?? '127.0.0.1';
    const gw = await ensureGateway(envs.home, { cli: process.argv[1], bind });
    const expires = new Date(now() + expiresMs).toISOString();
    const token = writeShare(envs.home, { project, env: s.env, branch, service, createdAt: new Date(now()).toISOString(), expiresAt: expires });
    // Sharing is activity too.
    await touch(envs.home, project, s.env, { timeoutMs: 5_000 }).catch(() => undefined);
    const host = bind === '127.0.0.1' || bind === 'localhost' ? 'localhost' : hostname();
    const url = `http://${s.env}.${project}.${host}:${gw.port}/?${TOKEN_PARAM}=${token}`;
    if (ctx.json) printJson(ctx, { url, expires });
    else ctx.out(`${url}\n  expires ${expires}`);
    return 0;
  },
};
