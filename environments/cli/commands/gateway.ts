// `slipway gateway`: run the share-link gateway in the foreground (`slipway share` starts it detached on its own).
import { startGateway } from '../../share/gateway';
import { announceGateway, retireGateway } from '../../share/supervise';
import { slipwayHome } from '../../paths';
import { usageError } from '../options';
import { str, type Command } from '../context';

export const gateway: Command = {
  summary: 'Run the share-link gateway in the foreground (slipway share starts it on its own)',
  options: {
    port: { type: 'string', arg: 'N', required: true, help: 'the port to listen on' },
    bind: {
      type: 'string',
      arg: 'ADDR',
      default: '127.0.0.1',
      help: 'the address to listen on (default: 127.0.0.1, this machine only)',
    },
    help: { type: 'boolean', short: 'h', default: false, help: 'show this help' },
  },
  readOnly: true,
  async run(ctx) {
    const port = Number(str(ctx, 'port'));
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      throw usageError(ctx.command, `--port ${JSON.stringify(str(ctx, 'port'))} is not a port`);
    const home = slipwayHome();
    const bind = str(ctx, 'bind') ?? '127.0.0.1';
    const gw = await startGateway(home, port, bind);
    announceGateway(home, port, bind);
    ctx.err(`Share-link gateway listening on ${bind}:${port}`);
    await new Promise<void>((resolve) =>
      ctx.signal.aborted ? resolve() : ctx.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    retireGateway(home);
    await gw.close();
    return 0;
  },
};
