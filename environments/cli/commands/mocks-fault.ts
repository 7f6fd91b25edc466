// `slipway mocks fault NAME`: inject or clear a fault (status, error rate, latency, dropped connections, timeouts) at runtime.
import type { Command } from '../context';
import { str } from '../context';
import { common, engineOptions, usageError } from '../options';
import { printJson } from '../print';
import { clearFaults, setFault } from '../../mocks/client';
import type { Fault } from '../../mocks/types';
import { parseDuration } from '../../spec/units';
import { mockOption, mockTarget } from './mocks-target';

export const mocksFault: Command = {
  summary: 'Inject a fault into a running mock (the next request sees it), or clear faults',
  positional: 'mock',
  options: {
    mock: mockOption,
    route: {
      type: 'string',
      arg: 'PATTERN',
      help: 'only requests matching it: /charges/{id}, /charges/**, or "POST /charges" (default: every request)',
    },
    status: {
      type: 'string',
      arg: 'CODE',
      help: 'answer this status (429 and 503 carry Retry-After)',
      conflicts: ['clear', 'drop', 'timeout'],
    },
    rate: { type: 'string', arg: 'FRACTION', help: 'the share of requests hit, 0 to 1 (default 1)' },
    latency: { type: 'string', arg: 'DURATION', help: 'delay each answer: 250ms, 2s' },
    'retry-after': {
      type: 'string',
      arg: 'SECONDS',
      help: 'Retry-After of a 429 or 503 (default 1)',
      needs: ['status'],
    },
    drop: { type: 'boolean', help: 'close the connection without an answer', conflicts: ['clear', 'timeout'] },
    timeout: { type: 'boolean', help: 'never answer, so the caller times out', conflicts: ['clear'] },
    clear: { type: 'boolean', help: 'remove the faults (of --route only, when given)', conflicts: ['rate', 'latency'] },
    branch: common.branch,
    spec: common.spec,
    ...engineOptions,
  },
  async run(ctx) {
    const fault: Fault = {};
    const route = str(ctx, 'route');
    if (route) fault.route = route;
    const status = str(ctx, 'status');
    if (status !== undefined) {
      if (!/^[1-5]\d\d$/.test(status))
        throw usageError(ctx.command, `--status ${JSON.stringify(status)} is not an HTTP status (100-599)`);
      fault.status = Number(status);
    }
    const rate = str(ctx, 'rate');
    if (rate !== undefined) {
      if (!/^(0(\.\d+)?|1(\.0+)?)$/.test(rate))
        throw usageError(ctx.command, `--rate ${JSON.stringify(rate)} is not a fraction from 0 to 1`);
      fault.rate = Number(rate);
    }
    const latency = str(ctx, 'latency');
    if (latency !== undefined) {
      try {
        fault.latencyMs = parseDuration(latency);
      } catch {
        throw usageError(ctx.command, `--latency ${JSON.stringify(latency)} is not a duration (250ms, 2s)`);
      }
    }
    const retryAfter = str(ctx, 'retry-after');
    if (retryAfter !== undefined) {
      if (!/^\d+$/.test(retryAfter))
        throw usageError(ctx.command, `--retry-after ${JSON.stringify(retryAfter)} is not a number of seconds`);
      fault.retryAfterS = Number(retryAfter);
    }
    if (ctx.values.drop) fault.drop = true;
    if (ctx.values.timeout) fault.timeout = true;
    const clear = !!ctx.values.clear;
    if (!clear && fault.status === undefined && fault.latencyMs === undefined && !fault.drop && !fault.timeout) {
      throw usageError(ctx.command, 'say what fault to inject (--status, --latency, --drop or --timeout) or --clear');
    }
    const { mock, url } = await mockTarget(ctx);
    const faults = clear ? await clearFaults(url, route) : await setFault(url, fault);
    if (ctx.json) printJson(ctx, { mock: mock.name, faults });
    else
      ctx.out(
        faults.length === 0
          ? `${mock.name}: no faults`
          : faults.map((f) => `${mock.name}${f.route ? ` ${f.route}` : ''}: ${describe(f)}`).join('\n'),
      );
    return 0;
  },
};

function describe(f: Fault): string {
  const what = [
    f.status ? `status ${f.status}` : '',
    f.drop ? 'drop' : '',
    f.timeout ? 'timeout' : '',
    f.latencyMs ? `+${f.latencyMs} ms` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `${what} on ${Math.round((f.rate ?? 1) * 100)}% of requests`;
}
