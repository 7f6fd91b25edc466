// `slipway completion bash|zsh|fish`: a shell completion script generated from the commands' option tables.
import { bashCompletion, fishCompletion, zshCompletion } from '../completion-scripts';
import type { Command } from '../context';
import { EXIT } from '../exit';
import { common, usageError } from '../options';
import { commands } from './index';

const shells = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion } as const;

export const completion: Command = {
  summary: 'Print a shell completion script: slipway completion bash|zsh|fish (e.g. source <(slipway completion bash))',
  options: {
    shell: { type: 'string', arg: 'SHELL', required: true, help: 'bash, zsh or fish' },
    help: common.help,
  },
  positional: 'shell',
  readOnly: true,
  run(ctx) {
    const shell = String(ctx.values.shell);
    if (!Object.hasOwn(shells, shell))
      throw usageError(ctx.command, `no completion for ${JSON.stringify(shell)}: bash, zsh or fish`);
    ctx.out(shells[shell as keyof typeof shells](commands).trimEnd());
    return Promise.resolve(EXIT.ok);
  },
};
