/**
 * The message protocol between the extension (the host) and the webviews, and the view models
 * they exchange. Shared by `extension/` and `webviews/`: plain JSON types, no DOM, no Node, no
 * `vscode`, no import from `environments/` (the host maps the core's types onto these).
 *
 * Every message is one of four envelopes, named `scope/method`:
 * - a **command**, webview -> host, fire-and-forget (`env/restart`);
 * - a **request**, webview -> host, answered by exactly one **response** carrying the same `id`
 *   (`env/logs`); the asker gives up after a timeout (see `rpc.ts`);
 * - a **notification**, host -> webview (`env/state`, `gates/progress`).
 *
 * The ready handshake: a webview posts `webview/ready` once its listeners are in place (again
 * after every reload); the host posts nothing before it, and answers it with the full state.
 * A webview keeps only UI state (`setState`); data always comes from the host.
 *
 * The view models are per view in ./protocol/ (dashboard.ts, pipeline.ts, drift.ts), message
 * validation in ./protocol/validate.ts; this file re-exports them all, so both sides import here.
 */
import type { EnvironmentPatch, EnvironmentView } from './protocol/dashboard';
import type { DriftView } from './protocol/drift';
import type { GateView, PipelineView } from './protocol/pipeline';

/** Bumped when a message changes shape; sent in `webview/ready`. */
export const PROTOCOL_VERSION = 1;

/** The three webview apps; also the bundle names (`dist/webviews/<app>.js`). */
export const WEBVIEW_APPS = ['dashboard', 'pipeline', 'drift'] as const;
export type WebviewApp = (typeof WEBVIEW_APPS)[number];

export type * from './protocol/dashboard';
export { ENVIRONMENT_FIELDS, SERVICE_FIELDS } from './protocol/dashboard';
export type * from './protocol/pipeline';
export type * from './protocol/drift';
export { COMMAND_METHODS, REQUEST_METHODS, parseHostMessage, parseWebviewMessage } from './protocol/validate';

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

export interface ReadyParams {
  app: WebviewApp;
  version: number;
}

/** Webview -> host, no answer. The panel knows its environment, so none carries one. */
export interface Commands {
  'webview/ready': ReadyParams;
  /** Opens a service's URL in the browser (the first service with a URL when none given). */
  'env/open': { service?: string };
  /** Makes a share link for reviewers. */
  'env/share': Record<string, never>;
  /** Copies the share link (the host holds its token; without it, a new link is made). */
  'env/copyShare': Record<string, never>;
  /** Ends the share link: it answers 404 from now on. */
  'env/revokeShare': Record<string, never>;
  /** Opens the settings of a limit: the file named in `source` or the Settings editor. */
  'env/openQuotaSettings': { source?: string };
  /** Restarts one service, or all. */
  'env/restart': { service?: string };
  /** Promotes the environment to the next stage (`EnvironmentView.promoteTo`). */
  'env/promote': Record<string, never>;
  'env/teardown': Record<string, never>;
  /** Seeds one database again from its spec's seed. */
  'env/reseed': { database: string };
  /** Extends the TTL (by the host's default when `hours` is absent). */
  'env/extendTtl': { hours?: number };
  /** Evaluates one gate of a stage again, or all its gates. */
  'gates/rerun': { stage: string; gate?: string };
  /** Records the user's approval for promoting into `stage`. */
  'gates/approve': { stage: string; gate?: string };
  'pipeline/promote': { to: string };
  /** Makes reality match the declaration, for one resource or all. */
  'drift/reapply': { resource?: string };
  /** Takes reality into the state, for one resource or all. */
  'drift/accept': { resource?: string };
  'drift/check': Record<string, never>;
}

/** Webview -> host, answered by one response with the same id. */
export interface Requests {
  'env/logs': { params: { service: string; lines?: number }; result: { lines: string[] } };
}

/** Host -> webview. */
export interface Notifications {
  'env/state': EnvironmentView;
  /** What changed since the last `env/state` or `env/patch`; nothing is sent when nothing changed. */
  'env/patch': EnvironmentPatch;
  'pipeline/state': PipelineView;
  /** A re-run started: these gates of `stage` are being evaluated (their results follow as `gates/progress`). */
  'gates/running': { stage: string; gates: string[]; startedAt: string };
  /** One gate changed (started running, or finished): replaces that gate in its promotion. */
  'gates/progress': { gate: GateView };
  'drift/state': DriftView;
}

export type CommandMethod = keyof Commands;
export type RequestMethod = keyof Requests;
export type NotificationMethod = keyof Notifications;
export type RequestParams<M extends RequestMethod> = Requests[M]['params'];
export type RequestResult<M extends RequestMethod> = Requests[M]['result'];

export type CommandMessage<M extends CommandMethod = CommandMethod> = {
  [K in M]: { type: 'command'; method: K; params: Commands[K] };
}[M];

export type RequestMessage<M extends RequestMethod = RequestMethod> = {
  [K in M]: { type: 'request'; id: number; method: K; params: RequestParams<K> };
}[M];

export type NotificationMessage<M extends NotificationMethod = NotificationMethod> = {
  [K in M]: { type: 'notification'; method: K; params: Notifications[K] };
}[M];

/** An error answer: `reason` is a stable code (the core's error reason, or `unknown-method`). */
export interface ResponseError {
  message: string;
  reason?: string;
}

export type ResponseMessage =
  { type: 'response'; id: number; result: unknown } | { type: 'response'; id: number; error: ResponseError };

/** What a webview posts. */
export type WebviewMessage = CommandMessage | RequestMessage;
/** What the host posts. */
export type HostMessage = NotificationMessage | ResponseMessage;

export function command<M extends CommandMethod>(method: M, params: Commands[M]): CommandMessage<M> {
  return { type: 'command', method, params } as CommandMessage<M>;
}

export function notification<M extends NotificationMethod>(
  method: M,
  params: Notifications[M],
): NotificationMessage<M> {
  return { type: 'notification', method, params } as NotificationMessage<M>;
}
