/** The dashboard's state and its pure reducer (no DOM), plus the diff the host sends as `env/patch`. */
import {
  ENVIRONMENT_FIELDS,
  SERVICE_FIELDS,
  type EnvironmentPatch,
  type EnvironmentView,
  type NotificationMessage,
  type ServicePatch,
  type ServiceView,
} from '../protocol';

/** Lines fetched with `env/logs` for one service (replacing any pushed tail), or why not. */
export interface LogFetch {
  lines?: string[];
  error?: string;
  loading?: boolean;
}

export interface DashboardState {
  env?: EnvironmentView;
  logs: ReadonlyMap<string, LogFetch>;
}

export const initialState: DashboardState = { logs: new Map() };

export type DashboardAction =
  | NotificationMessage<'env/state' | 'env/patch'>
  | { type: 'logs/loading'; service: string }
  | { type: 'logs/loaded'; service: string; lines: string[] }
  | { type: 'logs/failed'; service: string; error: string };

/** Fetched lines belong to services that still exist. */
function prune(logs: ReadonlyMap<string, LogFetch>, env: EnvironmentView): ReadonlyMap<string, LogFetch> {
  const names = new Set(env.services.map((s) => s.name));
  return [...logs.keys()].every((n) => names.has(n)) ? logs : new Map([...logs].filter(([n]) => names.has(n)));
}

export function reduce(state: DashboardState, action: DashboardAction): DashboardState {
  switch (action.type) {
    case 'notification': {
      if (action.method === 'env/state') return { env: action.params, logs: prune(state.logs, action.params) };
      // A patch before any state has nothing to apply to: the ready answer (a full state) follows.
      if (!state.env) return state;
      const env = applyPatch(state.env, action.params);
      return { env, logs: prune(state.logs, env) };
    }
    case 'logs/loading':
      return {
        ...state,
        logs: new Map(state.logs).set(action.service, {
          ...state.logs.get(action.service),
          loading: true,
          error: undefined,
        }),
      };
    case 'logs/loaded':
      return { ...state, logs: new Map(state.logs).set(action.service, { lines: action.lines }) };
    case 'logs/failed':
      return {
        ...state,
        logs: new Map(state.logs).set(action.service, {
          ...state.logs.get(action.service),
          loading: false,
          error: action.error,
        }),
      };
    default:
      return state;
  }
}

/** Copies the listed fields present as own keys of `from` (never `__proto__` or an inherited one). */
function assignOwn<T extends object>(
  target: Record<string, unknown>,
  from: Partial<T> | undefined,
  fields: readonly string[],
): void {
  if (!from || typeof from !== 'object') return;
  for (const f of fields) if (Object.hasOwn(from, f)) target[f] = (from as Record<string, unknown>)[f];
}

function removeOwn(target: Record<string, unknown>, names: unknown, fields: readonly string[]): void {
  if (!Array.isArray(names)) return;
  for (const n of names) if (typeof n === 'string' && fields.includes(n)) delete target[n];
}

function applyService(base: ServiceView | undefined, name: string, p: ServicePatch | undefined): ServiceView {
  const next: Record<string, unknown> = {
    ...(base ?? { name, state: 'missing', health: 'none', ports: [], image: '' }),
  };
  assignOwn(next, p?.set, SERVICE_FIELDS);
  removeOwn(next, p?.unset, SERVICE_FIELDS);
  next.name = name;
  return next as unknown as ServiceView;
}

/** The environment with a patch applied: only the fields the protocol names, by own key. */
export function applyPatch(env: EnvironmentView, patch: EnvironmentPatch): EnvironmentView {
  const next: Record<string, unknown> = { ...env };
  assignOwn(next, patch.set, ENVIRONMENT_FIELDS);
  removeOwn(next, patch.unset, ENVIRONMENT_FIELDS);
  const changes = new Map<string, ServicePatch>();
  for (const p of Array.isArray(patch.services) ? patch.services : [])
    if (p && typeof p.name === 'string') changes.set(p.name, p);
  const names = Array.isArray(patch.order)
    ? patch.order.filter((n): n is string => typeof n === 'string')
    : env.services.map((s) => s.name);
  next.services = names.map((name) => {
    const base = env.services.find((s) => s.name === name);
    const p = changes.get(name);
    return p || !base ? applyService(base, name, p) : base;
  });
  return next as unknown as EnvironmentView;
}

/** Equal as JSON would carry them (an `undefined` field is no field). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function diffFields<T extends object>(
  prev: T | undefined,
  next: T,
  fields: readonly string[],
): { set?: Record<string, unknown>; unset?: string[] } {
  const p = (prev ?? {}) as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  for (const f of fields) {
    if (n[f] === undefined) {
      if (p[f] !== undefined) unset.push(f);
    } else if (!same(p[f], n[f])) set[f] = n[f];
  }
  return { ...(Object.keys(set).length > 0 ? { set } : {}), ...(unset.length > 0 ? { unset } : {}) };
}

/** What changed from `prev` to `next`, or `undefined` when nothing did. */
export function diffEnvironment(prev: EnvironmentView, next: EnvironmentView): EnvironmentPatch | undefined {
  const patch: EnvironmentPatch = diffFields(prev, next, ENVIRONMENT_FIELDS) as EnvironmentPatch;
  const services: ServicePatch[] = [];
  for (const s of next.services) {
    const d = diffFields(
      prev.services.find((x) => x.name === s.name),
      s,
      SERVICE_FIELDS,
    );
    if (d.set || d.unset) services.push({ name: s.name, ...(d as Omit<ServicePatch, 'name'>) });
  }
  if (services.length > 0) patch.services = services;
  if (
    !same(
      prev.services.map((s) => s.name),
      next.services.map((s) => s.name),
    )
  )
    patch.order = next.services.map((s) => s.name);
  return Object.keys(patch).length > 0 ? patch : undefined;
}
