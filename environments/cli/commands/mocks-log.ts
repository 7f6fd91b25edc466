// `slipway mocks log NAME`: what the app sent a mock and what it answered, secrets redacted; --follow keeps printing.
import { formatLogEntry, readLog } from '../../mocks/client';
import type { LogEntry } from '../../mocks/types';
import type { Command } from '../context';
import { eventText } from '../json';
import { common, engineOptions } from '../options';
import { printJson } from '../print';
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
    json: {
      ...common.json,
      help: 'the requests as JSON: { "data": { "entries": [...] } }; with --follow, NDJSON { "event": { "type": "mock-request" } } lines, then the envelope',
    },
  },
  readOnly: true,
  async run(ctx) {
    const { branch, mock, url } = await mockTarget(ctx);
    const follow = !!ctx.values.follow;
    // Following never ends by itself: as JSON each request goes out as an event, and the closing envelope holds none.
    const streamed = ctx.json && follow;
    const kept: LogEntry[] = [];
    const show = (e: LogEntry) => {
      if (!ctx.json) ctx.out(formatLogEntry(e));
      else if (streamed) ctx.out(eventText({ type: 'mock-request', mock: mock.name, entry: e }));
      else kept.push(e);
    };
    let after = 0;
    for (;;) {
      const { entries, next } = await readLog(url, after);
      entries.forEach(show);
      after = next;
      if (!follow || ctx.signal.aborted) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
      if (ctx.signal.aborted) break;
    }
    if (ctx.json)
      printJson({ ...ctx, events: ctx.events || streamed }, { branch, mock: mock.name, entries: kept, streamed });
    return 0;
  },
};
