// The mock server's entry in its container: reads its configuration from SLIPWAY_MOCK (gzip, base64) and listens.
import { gunzipSync } from 'node:zlib';
import { createMockServer } from './server';
import type { MockConfig } from './types';

async function main(): Promise<void> {
  const encoded = process.env.SLIPWAY_MOCK;
  if (!encoded) throw new Error('SLIPWAY_MOCK is not set: the mock has no configuration');
  const config = JSON.parse(gunzipSync(Buffer.from(encoded, 'base64')).toString('utf8')) as MockConfig;
  const { server } = await createMockServer(config);
  server.listen(config.port, '0.0.0.0', () => console.log(`mock ${config.name} listening on ${config.port}`));
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  console.error(`mock failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
