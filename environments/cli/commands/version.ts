// `slipway version` (also `slipway -v`, `slipway --version`): the CLI's version, and the Node and platform it runs on.
import packageJson from '../../../package.json';
import type { Command } from '../context';
import { EXIT } from '../exit';
import { common } from '../options';
import { printJson } from '../print';

export const version: Command = {
  summary: 'Print the version of Slipway (also `slipway -v`)',
  options: { json: common.json, help: common.help },
  readOnly: true,
  run(ctx) {
    const v = {
      version: packageJson.version,
      node: process.versions.node,
      platform: process.platform,
      arch: process.arch,
    };
    if (ctx.json) printJson(ctx, v);
    else ctx.out(v.version);
    return Promise.resolve(EXIT.ok);
  },
};
