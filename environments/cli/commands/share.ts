// `slipway share`: a protected link to the branch environment's service through the gateway; --revoke ends it.
import { dirname } from 'node:path';
import { projectSlug } from '../../naming';
import { validBind } from '../../share/bind';
import { editorLink } from '../../share/editor-link';
import { makeShareLink } from '../../share/link';
import { removeShare } from '../../share/store';
import { checkService, durationOption, engine, requireEnvironment, specAndBranch, str, type Command } from '../context';
import { common, engineOptions, usageError } from '../options';
import { printJson } from '../print';

export const share: Command = {
  summary: "Print a protected link to the branch environment's service, for a reviewer (--revoke ends it)",
  options: {
    branch: common.branch,
    service: {
      type: 'string',
      arg: 'NAME',
      help: 'the service it opens (default: the first with a published port)',
      conflicts: ['revoke'],
    },
    expires: {
      type: 'string',
      arg: 'DUR',
      default: '24h',
      help: 'how long the link works, such as 24h (default: 24h)',
      conflicts: ['revoke'],
    },
    bind: {
      type: 'string',
      arg: 'ADDR',
      help: "the gateway's address: 0.0.0.0 opens it to the LAN, and the link carries this machine's name (default: slipway.share.bind of the settings, else the running gateway's, else 127.0.0.1)",
      conflicts: ['revoke'],
    },
    revoke: { type: 'boolean', default: false, help: 'end the link: it answers 404 from now on' },
    spec: common.spec,
    ...engineOptions,
  },
  async run(ctx) {
    const expiresMs = durationOption(ctx, 'expires') ?? 24 * 3600_000;
    const bind = str(ctx, 'bind');
    if (bind !== undefined && !validBind(bind))
      throw usageError(ctx.command, `--bind ${JSON.stringify(bind)} is not an IP address (127.0.0.1, 0.0.0.0, ...)`);
    const { spec, branch } = await specAndBranch(ctx);
    const envs = await engine(ctx);
    const s = await requireEnvironment(envs, spec.name, branch);
    if (ctx.values.revoke) {
      const had = removeShare(envs.home, projectSlug(spec.name), s.env);
      if (ctx.json) printJson(ctx, { branch, revoked: had });
      else ctx.out(had ? `The link to ${spec.name} / ${branch} is revoked.` : `${spec.name} / ${branch} had no link.`);
      return 0;
    }
    const wanted = str(ctx, 'service');
    const link = await makeShareLink(envs.home, spec.name, s, {
      cli: process.argv[1],
      service: wanted === undefined ? undefined : checkService(spec, wanted),
      expiresMs,
      bind,
      workspaceDir: dirname(spec.file),
    });
    // The reviewer's own editor opens the dashboard and pipeline view (Approve there) from this one.
    const editorUrl = editorLink({ project: spec.name, branch });
    if (ctx.json) printJson(ctx, { ...link, editorUrl });
    else ctx.out(`${link.url}\n  expires ${link.expires}\n  in VS Code: ${editorUrl}`);
    return 0;
  },
};
