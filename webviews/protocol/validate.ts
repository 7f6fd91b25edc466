/**
 * Validation of messages. The host must not trust what a webview posts, nor a webview what arrives
 * as a `message` event: both check the envelope and the method, and the host checks the params.
 * Every key is looked up as an own property (`Object.hasOwn`), so a `__proto__`, `constructor`
 * or `toString` key in a message never reaches a prototype or a built-in.
 */
import type { CommandMethod, HostMessage, NotificationMethod, RequestMethod, WebviewMessage } from '../protocol';

type FieldType = 'string' | 'number';
/** Per method: its params' fields, and whether each is required. */
type ParamsShape = Record<string, { type: FieldType; required?: boolean }>;

const COMMAND_PARAMS: { [M in CommandMethod]: ParamsShape } = {
  'webview/ready': { app: { type: 'string', required: true }, version: { type: 'number', required: true } },
  'env/open': { service: { type: 'string' } },
  'env/share': {},
  'env/copyShare': {},
  'env/revokeShare': {},
  'env/openQuotaSettings': { source: { type: 'string' } },
  'env/restart': { service: { type: 'string' } },
  'env/promote': {},
  'env/teardown': {},
  'env/reseed': { database: { type: 'string', required: true } },
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

const NOTIFICATION_METHODS: ReadonlySet<string> = new Set<NotificationMethod>([
  'env/state',
  'env/patch',
  'pipeline/state',
  'gates/running',
  'gates/progress',
  'drift/state',
]);

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
    if (field.type === 'number' ? typeof value !== 'number' || !Number.isFinite(value) : typeof value !== 'string')
      return false;
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
  if (
    type === 'notification' &&
    typeof method === 'string' &&
    NOTIFICATION_METHODS.has(method) &&
    isObject(own(data, 'params'))
  ) {
    return data as unknown as HostMessage;
  }
  if (
    type === 'response' &&
    Number.isSafeInteger(own(data, 'id')) &&
    (Object.hasOwn(data, 'result') || isObject(own(data, 'error')))
  ) {
    return data as unknown as HostMessage;
  }
  return undefined;
}
