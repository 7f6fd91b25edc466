// `slipway init`: writes a first slipway.yaml from the project's compose file (or a Dockerfile), listing what it could not map.
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SlipwayError } from '../../errors';
import { draftSpec } from '../../spec/init';
import { str, type Command } from '../context';
import { EXIT } from '../exit';
import { common } from '../options';
import { printJson } from '../print';

export const init: Command = {
  summary: 'Write slipway.yaml from the compose file (or a Dockerfile) of the project in this folder',
  options: {
    compose: {
      type: 'string',
      short: 'f',
      arg: 'FILE',
      help: 'the compose file (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml here)',
    },
    out: {
      type: 'string',
      short: 'o',
      arg: 'FILE',
      default: 'slipway.yaml',
      help: 'where to write the spec (default: ./slipway.yaml); it must not exist yet',
    },
    name: {
      type: 'string',
      arg: 'NAME',
      help: "the project's name (default: the compose file's name, else the folder's)",
    },
    force: { type: 'boolean', default: false, help: 'replace an existing spec file' },
    json: common.json,
    help: common.help,
  },
  async run(ctx) {
    const file = resolve(String(ctx.values.out));
    const compose = str(ctx, 'compose');
    const draft = draftSpec(dirname(file), {
      compose: compose === undefined ? undefined : resolve(compose),
      name: str(ctx, 'name'),
    });
    try {
      await writeFile(file, draft.text, { flag: ctx.values.force ? 'w' : 'wx' });
    } catch (err) {
      const exists = (err as NodeJS.ErrnoException).code === 'EEXIST';
      throw new SlipwayError(
        'operation-failed',
        exists ? `${file} already exists; nothing was written.` : `Cannot write ${file}: ${(err as Error).message}.`,
        {
          hint: exists
            ? 'Pass --force to replace it, or --out FILE to write the draft elsewhere.'
            : 'Check the folder exists and is writable, then run the command again.',
          cause: err,
        },
      );
    }
    if (ctx.json) {
      printJson(ctx, { file, from: draft.from, unmapped: draft.unmapped, notes: draft.notes });
      return EXIT.ok;
    }
    ctx.out(`Wrote ${file} from ${draft.from}.`);
    for (const n of draft.notes) ctx.out(`  note: ${n}`);
    if (draft.unmapped.length) {
      ctx.out(`Not mapped (${draft.unmapped.length}), also listed at the top of the file:`);
      for (const u of draft.unmapped) ctx.out(`  ${draft.from}:${u.line}  ${u.field}: ${u.reason}`);
    }
    ctx.out('Next: slipway up');
    return EXIT.ok;
  },
};
