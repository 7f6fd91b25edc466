// The gateway process the editor starts (bundled as dist/extension/gateway.js): `gateway --port N --bind ADDR`, until SIGTERM or SIGINT.
import { parseArgs } from 'node:util';
import { slipwayHome } from '../paths';
import { startGateway } from './gateway';
import { announceGateway, retireGateway } from './supervise';

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== 'gateway'),
    options: { port: { type: 'string' }, bind: { type: 'string', default: '127.0.0.1' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port ${values.port} is not a port`);
  const home = slipwayHome();
  const bind = values.bind ?? '127.0.0.1';
  const gw = await startGateway(home, port, bind);
  announceGateway(home, port, bind);
  process.stderr.write(`Share-link gateway listening on ${bind}:${port}\n`);
  const stop = () => {
    retireGateway(home);
    void gw.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: Error) => {
  process.stderr.write(`slipway gateway: ${err.message}\n`);
  process.exit(1);
});
