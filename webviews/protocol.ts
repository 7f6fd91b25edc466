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
 */

/** Bumped when a message changes shape; sent in `webview/ready`. */
export const PROTOCOL_VERSION = 1;

/** The three webview apps; also the bundle names (`dist/webviews/<app>.js`). */
export const WEBVIEW_APPS = ['dashboard', 'pipeline', 'drift'] as const;
export type WebviewApp = (typeof WEBVIEW_APPS)[number];

// ---------------------------------------------------------------------------------------------
// View models
// ---------------------------------------------------------------------------------------------

/**
 * The core's `EnvironmentState` plus `drifted` (running, but the last drift check found
 * differences).
 */
export type EnvironmentStatus = 'provisioning' | 'running' | 'degraded' | 'drifted' | 'stopped' | 'failed' | 'absent';

/** Docker's health of a container (`ServiceState.health` in the core). */
export type ServiceHealth = 'healthy' | 'unhealthy' | 'starting' | 'none';

/** One published port: the container's port and where it is reachable on the host (127.0.0.1). */
export interface PortView {
  container: number;
  host: number;
}

/** A resource's use against its quota. CPU in cores (0.5 = half a core), memory in bytes. */
export interface UsageView {
  used: number;
  /** Absent: no limit. */
  quota?: number;
}

export interface ServiceView {
  name: string;
  /** Docker's container state (`running`, `exited`, `restarting`, `created`...) or `missing`. */
  state: string;
  health: ServiceHealth;
  /** Where to open it (`http://127.0.0.1:<port>`), if it serves HTTP. */
  url?: string;
  ports: PortView[];
  /** The image it runs: `sha256:...` digest (shown shortened). */
  image: string;
  cpu?: UsageView;
  memory?: UsageView;
  /**
   * The last lines of its log, oldest first, when the host sends them. The dashboard's host does
   * not: the view asks with the `env/logs` request when a service's lines are shown.
   */
  logs?: string[];
}

export interface OperationView {
  /** `up`, `down`, `restart`, `promote`, `extend`... */
  op: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** ISO time. */
  at: string;
  error?: string;
}

export interface EnvironmentView {
  project: string;
  /** The environment's name (`<slug>-<hash6>`, or `stage_<name>`). */
  env: string;
  branch: string;
  /** Set for a stage's environment (`staging`); absent for a branch's preview. */
  stage?: string;
  status: EnvironmentStatus;
  /** ISO times. */
  createdAt?: string;
  updatedAt?: string;
  /** When the TTL runs out and the environment is torn down; absent: no TTL. */
  expiresAt?: string;
  /** The git commit the environment runs. */
  commit?: string;
  services: ServiceView[];
  lastOperation?: OperationView;
  /** The stage a Promote would go to (absent: nowhere to promote). */
  promoteTo?: string;
}

/**
 * - `pass` / `fail` / `pending` / `skipped`: the core's `GateState`;
 * - `running`: being evaluated now (live, before its result arrives);
 * - `error`: the host could not evaluate it at all (the reason says why).
 */
export type GateState = 'pass' | 'fail' | 'pending' | 'running' | 'error' | 'skipped';

export interface ApproverView {
  approver: string;
  /** ISO time. */
  at: string;
  comment?: string;
}

/**
 * What a gate saw: the core's `GateResult.evidence`, passed through as is. The keys below are
 * shown specially; any other key is shown as a name/value row (values as text).
 */
export interface GateEvidence {
  /** command, vulnerabilities: the last lines of output. */
  outputTail?: string;
  /** vulnerabilities: findings per severity. */
  counts?: Record<string, number>;
  /** approval: who approved (the author's own approval is in `ignored`). */
  approvers?: ApproverView[];
  required?: number;
  /** window: the zone, the local time seen, the allowed ranges, a freeze, the next opening. */
  timezone?: string;
  localTime?: string;
  allow?: string[];
  freeze?: { from: string; to: string; reason?: string };
  nextOpening?: { at: string; local: string };
  [key: string]: unknown;
}

export interface GateView {
  /** The stage the gate guards (promotion into it). */
  stage: string;
  name: string;
  /** `health`, `drift`, `command`, `vulnerabilities`, `licenses`, `coverage`, `approval`, `window`, `checks`. */
  kind: string;
  state: GateState;
  /** One sentence: why this state. */
  reason: string;
  evidence: GateEvidence;
  /** ISO time the last run started (absent: never run). */
  startedAt?: string;
  durationMs?: number;
}

export interface StageView {
  name: string;
  /** The environment it runs in (`stage_<name>`; the branch's environment for `preview`). */
  env?: string;
  status?: EnvironmentStatus;
  /** What it runs now. */
  release?: { number: number; commit?: string; at: string; by?: string; source?: string };
}

/** Promotion from one stage into the next, guarded by the target stage's gates. */
export interface PromotionView {
  from: string;
  to: string;
  /** `to` already runs the commit this promotion would bring (its current release): nothing to promote. */
  current?: { commit: string; release: number };
  gates: GateView[];
  /**
   * Whether the host allows this promotion apart from its gates (the source runs, no other
   * promotion into `to` is under way). The view enables Promote only when this is true and every
   * gate's state is `pass`, so live `gates/progress` updates enable and disable it.
   */
  canPromote: boolean;
  /** Why `canPromote` is false, in one sentence. */
  blockedReason?: string;
  /** A promotion into `to` is running now. */
  promoting?: boolean;
}

export interface PipelineView {
  project: string;
  /** The source branch's environment. */
  env: string;
  branch: string;
  commit?: string;
  /** In promotion order: `preview`, then e.g. `staging`, `production`. */
  stages: StageView[];
  /** One per adjacent pair of stages, in order. */
  promotions: PromotionView[];
}

export type DriftSource = 'reality' | 'spec';

export interface DriftPropertyView {
  /** `image`, `env.DATABASE_URL`, `ports.3000`, `state`... */
  path: string;
  declared: string;
  actual: string;
}

export interface DriftResourceView {
  /** Identifies the resource in `drift/reapply` and `drift/accept`. */
  urn: string;
  name: string;
  /** `container`, `network`, `volume`... */
  type: string;
  /** `reality`: the real object differs from state; `spec`: the spec differs from state. */
  source: DriftSource;
  properties: DriftPropertyView[];
  /** Which remedies apply (the core's `DriftItem.remedies`). */
  remedies: Array<'reapply' | 'accept'>;
}

export interface DriftView {
  project: string;
  env: string;
  branch: string;
  /** ISO time of the last check; absent: never checked. */
  checkedAt?: string;
  /** A check, reapply or accept is running now. */
  busy?: boolean;
  /** Empty: no drift. */
  resources: DriftResourceView[];
}

/** The top-level fields of an environment a patch can set (everything but its services). */
export const ENVIRONMENT_FIELDS = ['project', 'env', 'branch', 'stage', 'status', 'createdAt', 'updatedAt', 'expiresAt', 'commit', 'lastOperation', 'promoteTo'] as const;
export type EnvironmentField = (typeof ENVIRONMENT_FIELDS)[number];
/** The fields of a service a patch can set (its name identifies it). */
export const SERVICE_FIELDS = ['state', 'health', 'url', 'ports', 'image', 'cpu', 'memory', 'logs'] as const;
export type ServiceField = (typeof SERVICE_FIELDS)[number];

/** One service's change: the fields that changed to a new value, and those that no longer have one. */
export interface ServicePatch {
  name: string;
  set?: Partial<Pick<ServiceView, ServiceField>>;
  unset?: ServiceField[];
}

/**
 * What changed in an environment since the last `env/state` or `env/patch`: only the changed
 * fields and services. `order` comes when services came or went: their names, in order (a name
 * not there is gone; a new one has all its fields in `services`).
 */
export interface EnvironmentPatch {
  set?: Partial<Pick<EnvironmentView, EnvironmentField>>;
  unset?: EnvironmentField[];
  services?: ServicePatch[];
  order?: string[];
}

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
  /** Restarts one service, or all. */
  'env/restart': { service?: string };
  /** Promotes the environment to the next stage (`EnvironmentView.promoteTo`). */
  'env/promote': Record<string, never>;
  'env/teardown': Record<string, never>;
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
  | { type: 'response'; id: number; result: unknown }
  | { type: 'response'; id: number; error: ResponseError };

/** What a webview posts. */
export type WebviewMessage = CommandMessage | RequestMessage;
/** What the host posts. */
export type HostMessage = NotificationMessage | ResponseMessage;

export function command<M extends CommandMethod>(method: M, params: Commands[M]): CommandMessage<M> {
  return { type: 'command', method, params } as CommandMessage<M>;
}

export function notification<M extends NotificationMethod>(method: M, params: Notifications[M]): NotificationMessage<M> {
  return { type: 'notification', method, params } as NotificationMessage<M>;
}

// ---------------------------------------------------------------------------------------------
// Validation. The host must not trust what a webview posts, nor a webview what arrives as a
// `message` event: both check the envelope and the method, and the host checks the params.
// Every key is looked up as an own property (`Object.hasOwn`), so a `__proto__`, `constructor`
// or `toString` key in a message never reaches a prototype or a built-in.
// ---------------------------------------------------------------------------------------------

type FieldType = 'string' | 'number';
/** Per method: its params' fields, and whether each is required. */
type ParamsShape = Record<string, { type: FieldType; required?: boolean }>;

const COMMAND_PARAMS: { [M in CommandMethod]: ParamsShape } = {
  'webview/ready': { app: { type: 'string', required: true }, version: { type: 'number', required: true } },
  'env/open': { service: { type: 'string' } },
  'env/share': {},
  'env/restart': { service: { type: 'string' } },
  'env/promote': {},
  'env/teardown': {},
  'env/extendTtl': { hours: { type: 'number' } },
  'gates/rerun': { stage: { type: 'string', required: true }, gate: { type: 'string' } },
  'gates/approve': { stage: { type: 'string', required: true }, gate: { type: 'string' } },
  'pipeline/promote': { to: { type: 'string', required: true } },
  'drift/reapply': { resource: { type: 'string' } },
  'drift/accept': { resource: { type: 'string' } },
  'drift/check': {},
};

const REQUEST_PARAMS: { [M in RequestMethod]: ParamsShape } = {
  'env/logs': { service: { type: 'string', required: true }, lines: { type: 'number' } },
};

const NOTIFICATION_METHODS: ReadonlySet<string> = new Set<NotificationMethod>(['env/state', 'env/patch', 'pipeline/state', 'gates/running', 'gates/progress', 'drift/state']);

export const COMMAND_METHODS = Object.keys(COMMAND_PARAMS) as CommandMethod[];
export const REQUEST_METHODS = Object.keys(REQUEST_PARAMS) as RequestMethod[];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own key only: `__proto__`, `constructor` or `toString` never reach a prototype's. */
function has<T extends object>(table: T, key: string): key is Extract<keyof T, string> {
  return Object.hasOwn(table, key);
}

/** The object's own value at `key` (never one inherited from a prototype). */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function paramsMatch(params: unknown, shape: ParamsShape): boolean {
  if (!isObject(params)) return false;
  for (const [key, value] of Object.entries(params)) {
    const field = has(shape, key) ? shape[key] : undefined;
    if (!field) return false;
    if (value === undefined) continue;
    if (field.type === 'number' ? typeof value !== 'number' || !Number.isFinite(value) : typeof value !== 'string') return false;
  }
  return Object.entries(shape).every(([key, field]) => !field.required || own(params, key) !== undefined);
}

/**
 * A message from a webview, if it is one: a known command or request whose params have the
 * declared fields (no others) of the declared types. Anything else gives `undefined`.
 */
export function parseWebviewMessage(data: unknown): WebviewMessage | undefined {
  if (!isObject(data)) return undefined;
  const [type, method, params] = [own(data, 'type'), own(data, 'method'), own(data, 'params')];
  if (typeof method !== 'string') return undefined;
  if (type === 'command' && has(COMMAND_PARAMS, method)) {
    return paramsMatch(params, COMMAND_PARAMS[method]) ? (data as unknown as WebviewMessage) : undefined;
  }
  if (type === 'request' && has(REQUEST_PARAMS, method) && Number.isSafeInteger(own(data, 'id'))) {
    return paramsMatch(params, REQUEST_PARAMS[method]) ? (data as unknown as WebviewMessage) : undefined;
  }
  return undefined;
}

/** A message from the host, if it has the shape of one (the view models are trusted as shaped). */
export function parseHostMessage(data: unknown): HostMessage | undefined {
  if (!isObject(data)) return undefined;
  const [type, method] = [own(data, 'type'), own(data, 'method')];
  if (type === 'notification' && typeof method === 'string' && NOTIFICATION_METHODS.has(method) && isObject(own(data, 'params'))) {
    return data as unknown as HostMessage;
  }
  if (type === 'response' && Number.isSafeInteger(own(data, 'id')) && (Object.hasOwn(data, 'result') || isObject(own(data, 'error')))) {
    return data as unknown as HostMessage;
  }
  return undefined;
}
