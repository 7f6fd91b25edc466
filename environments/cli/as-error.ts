// Any error as a SlipwayError with what to do next: a Docker Engine that does not answer, one that refuses a request, anything else.
import { SlipwayError } from '../errors';

/** Network-level failures: the Docker Engine (local socket, tcp:// or ssh://) did not answer. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'ENOENT',
  'EACCES',
]);

/**
 * Any error as a SlipwayError: a Docker Engine that does not answer is `docker-unavailable`, one
 * that refuses a request (dockerode's `statusCode`, e.g. tagging a release's image) is
 * `operation-failed` with the engine's own message; each with what to do next.
 */
export function asSlipwayError(err: unknown): SlipwayError {
  if (SlipwayError.is(err)) return err;
  const e = (err ?? {}) as {
    code?: unknown;
    statusCode?: unknown;
    json?: { message?: unknown };
    message?: unknown;
    address?: unknown;
  };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const where = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  if (typeof e.code === 'string' && UNREACHABLE.has(e.code)) {
    return new SlipwayError('docker-unavailable', `The Docker Engine could not be reached (${e.code}: ${message}).`, {
      hint: `Check that the engine runs and answers at its endpoint (--docker-host, DOCKER_HOST, now ${where}, DOCKER_CONTEXT or the Docker CLI's current context, or the stage's dockerHost in the spec; slipway status shows which one), then run the command again.`,
      cause: err,
    });
  }
  if (typeof e.statusCode === 'number') {
    const said = typeof e.json?.message === 'string' ? e.json.message : message;
    return new SlipwayError('operation-failed', `The Docker Engine refused a request (HTTP ${e.statusCode}): ${said}`, {
      hint: "Check that the engine is the one you meant (DOCKER_HOST, DOCKER_CONTEXT, the Docker CLI's current context, or the stage's dockerHost) and holds the images the command needs, then run the command again; --verbose shows each step.",
      cause: err,
    });
  }
  return new SlipwayError('operation-failed', message, {
    hint: 'Run the command again with --verbose to see each step; if it persists, report it with that output.',
    cause: err,
  });
}
