// The quota check of an `up`: per-environment defaults applied as Docker limits, every limit checked and the environment reserved in one locked step.
import type Docker from 'dockerode';
import { SlipwayError } from '../errors';
import { formatMemory } from '../spec/units';
import type { Spec } from '../spec/types';
import { readLimits, type Limit, type LimitKey, type QuotaLimits } from './limits';
import { hostHoldings, newReservation, withQuotaLock, type Holding } from './usage';

/** The environment an `up` asks for. */
export interface QuotaRequest {
  home: string;
  state: string;
  project: string;
  env: string;
  branch: string;
  owner: string;
}

const WHAT: Record<LimitKey, string> = {
  maxEnvironmentsPerUser: 'environments per user',
  maxEnvironmentsPerWorkspace: 'environments per workspace (project)',
  maxEnvironmentsPerHost: 'environments on this Docker host',
  cpusPerEnvironment: 'CPUs per environment',
  memoryPerEnvironment: 'memory per environment',
  cpusPerHost: 'CPUs in total on this Docker host',
  memoryPerHost: 'memory in total on this Docker host',
};

/**
 * The spec with the per-environment default applied: the services and databases that declare no
 * CPU (memory) limit share what the declared ones leave of `cpusPerEnvironment`
 * (`memoryPerEnvironment`), so every container runs with a Docker limit and the environment
 * stays within its own.
 */
export function withDefaultResources(spec: Spec, limits: QuotaLimits): Spec {
  const cpus = limits.limits.cpusPerEnvironment?.value;
  const memory = limits.limits.memoryPerEnvironment?.value;
  if (!cpus && !memory) return spec;
  const all = [...spec.services, ...spec.databases];
  const share = (total: number | undefined, declared: Array<number | undefined>): number | undefined => {
    const open = declared.filter((d) => !d).length;
    if (!total || open === 0) return undefined;
    const left = total - declared.reduce<number>((a, d) => a + (d ?? 0), 0);
    return left > 0 ? left / open : undefined;
  };
  const cpuShare = share(
    cpus,
    all.map((c) => c.resources.cpus),
  );
  const memShare = share(
    memory,
    all.map((c) => c.resources.memoryBytes),
  );
  const fill = <T extends { resources: { cpus?: number; memoryBytes?: number } }>(c: T): T => ({
    ...c,
    resources: {
      ...c.resources,
      ...(c.resources.cpus || cpuShare === undefined ? {} : { cpus: Math.floor(cpuShare * 100) / 100 }),
      ...(c.resources.memoryBytes || memShare === undefined
        ? {}
        : { memoryBytes: Math.floor(memShare / 1024 / 1024) * 1024 * 1024 }),
    },
  });
  return { ...spec, services: spec.services.map(fill), databases: spec.databases.map(fill) };
}

/** What a spec's containers may use together: the sum of their Docker limits. */
export function specDemand(spec: Spec): { cpus: number; memoryBytes: number } {
  const all = [...spec.services, ...spec.databases];
  return {
    cpus: all.reduce((a, c) => a + (c.resources.cpus ?? 0), 0),
    memoryBytes: all.reduce((a, c) => a + (c.resources.memoryBytes ?? 0), 0),
  };
}

/** A stage's environment (`stage_<name>`) runs releases, not previews: quotas count previews only. */
const isPreview = (h: Holding) => !h.env.startsWith('stage_');

function names(hs: Holding[]): string {
  return hs.map((h) => `${h.project}/${h.branch ?? h.env}`).join(', ');
}

function byOwner(hs: Holding[], amount: (h: Holding) => number, unit: (n: number) => string): string {
  const per = new Map<string, number>();
  for (const h of hs) per.set(h.owner, (per.get(h.owner) ?? 0) + amount(h));
  return [...per.entries()].map(([o, n]) => `${o} ${unit(n)}`).join(', ');
}

const cpuText = (n: number) => `${Math.round(n * 100) / 100}`;
const memText = (n: number) => formatMemory(Math.round(n));

/** One line of quota use: a limit, its source, and what holds it now. */
export interface QuotaUse {
  key: LimitKey;
  what: string;
  limit: Limit;
  used: number;
  /** The limit and the use as text (`2`, `1.5`, `2Gi`). */
  text: { limit: string; used: string };
  holders: string;
}

/** The use of every limit in force, by the holdings seen (for the requester `req`'s user and project). */
export function quotaUse(
  limits: QuotaLimits,
  holdings: Holding[],
  who: { owner: string; project?: string },
): QuotaUse[] {
  const previews = holdings.filter(isPreview);
  const out: QuotaUse[] = [];
  const add = (
    key: LimitKey,
    hs: Holding[],
    amount: (h: Holding) => number,
    fmt: (n: number) => string,
    holders: string,
  ) => {
    const limit = limits.limits[key];
    if (!limit) return;
    const used = hs.reduce((a, h) => a + amount(h), 0);
    out.push({ key, what: WHAT[key], limit, used, text: { limit: fmt(limit.value), used: fmt(used) }, holders });
  };
  const mine = previews.filter((h) => h.owner === who.owner);
  add('maxEnvironmentsPerUser', mine, () => 1, String, mine.length ? `${who.owner}: ${names(mine)}` : 'none');
  const project = who.project === undefined ? [] : previews.filter((h) => h.project === who.project);
  if (who.project !== undefined)
    add('maxEnvironmentsPerWorkspace', project, () => 1, String, byOwner(project, () => 1, String) || 'none');
  add('maxEnvironmentsPerHost', previews, () => 1, String, byOwner(previews, () => 1, String) || 'none');
  add(
    'cpusPerHost',
    holdings,
    (h) => h.cpus,
    cpuText,
    byOwner(
      holdings.filter((h) => h.cpus > 0),
      (h) => h.cpus,
      cpuText,
    ) || 'none',
  );
  add(
    'memoryPerHost',
    holdings,
    (h) => h.memoryBytes,
    memText,
    byOwner(
      holdings.filter((h) => h.memoryBytes > 0),
      (h) => h.memoryBytes,
      memText,
    ) || 'none',
  );
  return out;
}

function refusal(u: QuotaUse, need: string): SlipwayError {
  return new SlipwayError(
    'quota-exceeded',
    `Quota exceeded: ${u.what} is limited to ${u.text.limit} by ${u.limit.setting} in ${u.limit.source}; ${u.text.used} in use (${u.holders})${need}. Nothing was created.`,
    {
      hint: 'Tear down an environment you no longer need (`slipway down --branch NAME`, or `slipway down --mine`), or ask whoever set the limit to raise it.',
    },
  );
}

/**
 * Checks every limit for the environment `req` wants to bring up from `spec` (defaults already
 * applied) and, if all hold, writes its reservation before the lock is released, so of any number
 * of concurrent `up`s exactly as many win as the limits leave room for. Refuses with
 * `quota-exceeded` (exit 4) naming the first limit that does not hold. An environment that exists
 * already is not counted again; only its CPUs and memory are checked anew.
 */
export async function reserveQuota(docker: Docker, req: QuotaRequest, spec: Spec, limits: QuotaLimits): Promise<void> {
  const demand = specDemand(spec);
  const perEnv = (key: 'cpusPerEnvironment' | 'memoryPerEnvironment', value: number, fmt: (n: number) => string) => {
    const limit = limits.limits[key];
    if (limit && value > limit.value) {
      throw new SlipwayError(
        'quota-exceeded',
        `Quota exceeded: ${WHAT[key]} is limited to ${fmt(limit.value)} by ${limit.setting} in ${limit.source}; the services and databases of ${req.project}/${req.branch} declare ${fmt(value)} together. Nothing was created.`,
        { hint: 'Lower the resources declared in slipway.yaml, or ask whoever set the limit to raise it.' },
      );
    }
  };
  perEnv('cpusPerEnvironment', demand.cpus, cpuText);
  perEnv('memoryPerEnvironment', demand.memoryBytes, memText);
  await withQuotaLock(
    async (ledger, write) => {
      const all = await hostHoldings(docker, ledger);
      const self = (h: Holding) => h.state === req.state && h.project === req.project && h.env === req.env;
      const exists = all.some(self);
      const others = all.filter((h) => !self(h));
      const use = quotaUse(limits, others, { owner: req.owner, project: req.project });
      const isStage = req.env.startsWith('stage_');
      for (const u of use) {
        if (u.key === 'cpusPerHost' && demand.cpus > 0 && u.used + demand.cpus > u.limit.value)
          throw refusal(u, `; ${req.project}/${req.branch} needs ${cpuText(demand.cpus)}`);
        if (u.key === 'memoryPerHost' && demand.memoryBytes > 0 && u.used + demand.memoryBytes > u.limit.value)
          throw refusal(u, `; ${req.project}/${req.branch} needs ${memText(demand.memoryBytes)}`);
        if (u.key.startsWith('maxEnvironments') && !exists && !isStage && u.used + 1 > u.limit.value)
          throw refusal(u, '');
      }
      write(
        newReservation(req.home, {
          state: req.state,
          project: req.project,
          env: req.env,
          branch: req.branch,
          owner: req.owner,
          cpus: demand.cpus,
          memoryBytes: demand.memoryBytes,
        }),
      );
    },
    undefined,
    req.home,
  );
}

/** The limits for a spec's workspace, and the spec with the per-environment default applied. */
export function limitsFor(home: string, spec: Spec): { limits: QuotaLimits; spec: Spec } {
  const limits = readLimits(home, spec.dir);
  return { limits, spec: withDefaultResources(spec, limits) };
}
