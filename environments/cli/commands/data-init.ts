// `slipway data init`: drafts a masking policy covering every column of the source database, for review before the first seed.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { draftPolicy, sourceError } from '../../data';
import { SlipwayError } from '../../errors';
import { str, type Command } from '../context';
import { EXIT } from '../exit';
import { common } from '../options';
import { printJson } from '../print';
import { sourceOption, sourceUrl } from './data-source';

export const dataInit: Command = {
  summary: 'Draft a masking policy covering every column of the source database (a comment on each says why)',
  options: {
    source: sourceOption,
    out: {
      type: 'string',
      short: 'o',
      arg: 'FILE',
      help: 'write the policy to FILE, which must not exist yet (default: print it)',
    },
    json: common.json,
    help: common.help,
  },
  readOnly: true,
  async run(ctx) {
    const url = sourceUrl(ctx);
    const out = str(ctx, 'out');
    let policy: string;
    try {
      policy = await draftPolicy(url, { signal: ctx.signal });
    } catch (err) {
      throw sourceError(err, url);
    }
    const file = out === undefined ? undefined : resolve(out);
    if (file !== undefined) {
      try {
        await writeFile(file, policy, { flag: 'wx' });
      } catch (err) {
        const exists = (err as NodeJS.ErrnoException).code === 'EEXIST';
        throw new SlipwayError(
          'operation-failed',
          exists
            ? `${file} already exists; the drafted policy was not written.`
            : `Cannot write ${file}: ${(err as Error).message}.`,
          {
            hint: exists
              ? 'Move or delete it first, or write the draft elsewhere with --out FILE.'
              : 'Check the folder exists and is writable, then run the command again.',
            cause: err,
          },
        );
      }
    }
    if (ctx.json) printJson(ctx, file !== undefined ? { file } : { policy });
    else if (file !== undefined)
      ctx.err(`Wrote ${file}: review every rule before the first seed, then run \`slipway data check\`.`);
    else ctx.out(policy.trimEnd());
    return EXIT.ok;
  },
};
