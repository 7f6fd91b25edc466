// `slipway mocks log NAME`: what the app sent a mock and what it answered, secrets redacted; --follow keeps printing.
import { formatLogEntry, readLog } from '../../mocks/client';
import type { Command } from '../context';
import { common, engineOptions } from '../options';
import { mockOption, mockTarget } from './mocks-target';

const POLL_MS = 500;

export const mocksLog: Command = {
  summary: "Print a mock's request log (secrets redacted); --follow keeps printing",
  positional: 'mock',
  options: {
    mock: mockOption,
    follow: { type: 'boolean', short: 'f', default: false, help: 'keep printing new requests (Ctrl+C stops)' },
    branch: common.branch,
    spec: common.spec,
    ...engineOptions,
    json: { ...common.json, help: 'one JSON object per request (request, response, source, ms)' },
  },
  readOnly: true,
  async run(ctx) {
    const { url } = await mockTarget(ctx);
    let after = 0;
    for (;;) {
      const { entries, next } = await readLog(url, after);
      for (const e of entries) ctx.out(ctx.json ? JSON.stringify(e) : formatLogEntry(e));
      after = next;
      if (!ctx.values.follow || ctx.signal.aborted) return 0;
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (ctx.signal.aborted) return 0;
    }
  },
};
