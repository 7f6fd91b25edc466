// `slipway mocks record NAME --upstream URL`: a recording proxy on 127.0.0.1; each exchange is redacted, then saved to the mock's recordings folder.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlipwayError } from '../../errors';
import { mockConfig } from '../../spec/mocks';
import { specOf, str, type Command } from '../context';
import { common, usageError } from '../options';
import { mockOption, specMock } from './mocks-target';

export const mocksRecord: Command = {
  summary:
    "Proxy to the real API on 127.0.0.1 and save each exchange, redacted, into the mock's recordings folder (Ctrl+C stops)",
  positional: 'mock',
  options: {
    mock: mockOption,
    upstream: { type: 'string', arg: 'URL', required: true, help: 'the real API (http:// or https://)' },
    port: { type: 'string', arg: 'PORT', default: '0', help: 'the port to listen on (default: any free one, printed)' },
    spec: common.spec,
    help: common.help,
  },
  readOnly: true,
  async run(ctx) {
    const upstream = String(str(ctx, 'upstream'));
    let parsed: URL;
    try {
      parsed = new URL(upstream);
    } catch {
      throw usageError(ctx.command, '--upstream is not a URL');
    }
    if (!/^https?:$/.test(parsed.protocol))
      throw usageError(ctx.command, '--upstream must be an http:// or https:// URL');
    const port = Number(str(ctx, 'port'));
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw usageError(ctx.command, `--port ${JSON.stringify(str(ctx, 'port'))} is not a port`);
    const spec = await specOf(ctx);
    const mock = specMock(spec, String(str(ctx, 'mock')));
    if (!mock.recordings) {
      throw new SlipwayError(
        'spec-invalid',
        `mock "${mock.name}" in ${spec.file} has no recordings folder to record into.`,
        { hint: `Add one: mocks: { ${mock.name}: { recordings: mocks/${mock.name} } }` },
      );
    }
    const folder = mock.recordings;
    mkdirSync(folder, { recursive: true });
    let saved = readdirSync(folder).filter((f) => f.endsWith('.json')).length;
    const config = { ...mockConfig(mock, spec.dir), stubs: [], recordings: [], openapi: undefined };
    // The OpenAPI libraries load only for the commands that use them.
    const { createMockServer } = await import('../../mocks/server');
    const { server } = await createMockServer(config, {
      upstream,
      onRecord: (exchange) => {
        saved++;
        const slug =
          exchange.request.path
            .replace(/[^A-Za-z0-9]+/g, '-')
            .replace(/^-|-$/g, '')
            .slice(0, 60) || 'root';
        const file = join(
          folder,
          `${String(saved).padStart(4, '0')}-${exchange.request.method.toLowerCase()}-${slug}.json`,
        );
        writeFileSync(file, `${JSON.stringify(exchange, null, 2)}\n`);
        ctx.err(`saved ${exchange.request.method} ${exchange.request.path} -> ${exchange.response.status}: ${file}`);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
    ctx.out(
      ctx.json
        ? JSON.stringify({ mock: mock.name, url, recordings: folder })
        : `recording ${mock.name}: send requests to ${url} (Ctrl+C stops)`,
    );
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    server.close();
    server.closeAllConnections();
    return 0;
  },
};
