// `slipway logs [SERVICE]`: print a service's container logs; --follow keeps printing until a signal; --json gives the lines (or, following, one event per line).
import { projectSlug } from '../../naming';
import { touch } from '../../quotas/ttl';
import { checkService, engine, requireEnvironment, target, type Command } from '../context';
import { eventText } from '../json';
import { common, engineOptions, usageError } from '../options';
import { printJson } from '../print';

export const logs: Command = {
  summary:
    "Print a service's container logs (stdout and stderr): slipway logs web, or --service web; --follow keeps printing",
  options: {
    service: {
      type: 'string',
      arg: 'NAME',
      required: true,
      help: 'a service or database, as named in the spec (or give it bare: slipway logs web)',
    },
    branch: { ...common.branch, conflicts: ['stage'] },
    stage: { type: 'string', arg: 'NAME', help: 'a pipeline stage (staging, production, ...)' },
    tail: { type: 'string', arg: 'N', default: '100', help: 'lines from the end to start with (default: 100)' },
    follow: { type: 'boolean', short: 'f', default: false, help: 'keep printing new lines (Ctrl+C stops)' },
    spec: common.spec,
    ...engineOptions,
    json: {
      ...common.json,
      help: 'the lines as JSON: { "data": { "lines": [...] } }; with --follow, NDJSON { "event": { "type": "log" } } lines, then the envelope',
    },
  },
  positional: 'service',
  readOnly: true,
  async run(ctx) {
    const tail = Number(ctx.values.tail);
    if (!/^\d+$/.test(String(ctx.values.tail)) || !Number.isSafeInteger(tail))
      throw usageError(ctx.command, `--tail ${JSON.stringify(ctx.values.tail)} is not a number of lines`);
    // A stage on its own engine is read there: its record names that endpoint.
    const { spec, branch, dockerHost, stage } = await target(ctx);
    const service = checkService(spec, String(ctx.values.service));
    const envs = await engine(ctx);
    const env = await requireEnvironment(envs, spec.name, branch, dockerHost, stage);
    const follow = !!ctx.values.follow;
    // Following logs is activity: the environment's TTL counts from now.
    if (follow) await touch(envs.home, projectSlug(spec.name), env.env, { timeoutMs: 5_000 }).catch(() => undefined);
    // Following never ends by itself: as JSON each line goes out as an event, and the closing envelope holds none.
    const streamed = ctx.json && follow;
    const lines: string[] = [];
    const onLine = !ctx.json
      ? ctx.out
      : streamed
        ? (line: string) => ctx.out(eventText({ type: 'log', service, line }))
        : (line: string) => void lines.push(line);
    await envs.logs(spec.name, branch, service, { tail, follow, signal: ctx.signal, onLine });
    if (ctx.json)
      printJson(
        { ...ctx, events: ctx.events || streamed },
        { project: spec.name, branch, ...(stage ? { stage } : {}), service, lines, streamed },
      );
    return 0;
  },
};
