/** The dashboard's view models: an environment, its services and operations, and the patch that carries what changed. */

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

/** One limit in force and its use (the same report `slipway list` prints). */
export interface QuotaView {
  /** What is limited (`environments per user`). */
  what: string;
  /** Short name for the header (`mine`, `host`). */
  short: string;
  /** Use and limit as text (`2`, `1.5`, `2Gi`), and as numbers (a count, cores, bytes). */
  used: string;
  limit: string;
  usedValue: number;
  limitValue: number;
  /** Used up: a new environment would be refused. */
  full: boolean;
  /** The setting and the file that set it. */
  setting: string;
  source: string;
  /** Who holds it (`ann@example.com: shop/feature-a`). */
  holders: string;
}

/**
 * The environment's share link. The token is a secret and never reaches the webview: `address`
 * is the link without it; Copy asks the host, which holds the link it made.
 */
export interface ShareView {
  address: string;
  /** ISO times. */
  expiresAt: string;
  createdAt: string;
  service: string;
  /** This window made the link and can copy it; otherwise Copy makes a new one (the old stops working). */
  copyable: boolean;
  expired: boolean;
}

/** What a database was seeded from (no secret: the source is `host:port/database` or `file:NAME`). */
export interface DatabaseSeedView {
  name: string;
  source: string;
  /** The masking policy file (relative to the spec's folder) and its sha256. */
  policy: string;
  policyHash: string;
  /** The masked snapshot it started from; absent: masked anew (`--fresh`). */
  snapshot?: string;
  /** How it started from the snapshot: layered on it (an overlay volume, no copy) or copied. */
  clone?: 'overlay' | 'copy';
  rows: number;
  tables: number;
  /** ISO time of the seed, and how long it took. */
  at: string;
  durationMs: number;
  /** The spec's cron schedule for re-seeding it. */
  schedule?: string;
  /** The spec still seeds it (Re-seed needs that). */
  inSpec: boolean;
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
  /** Every limit in force and its use for this workspace and user (absent: none is set, or it could not be read). */
  quotas?: QuotaView[];
  /** The share link (absent: none). */
  share?: ShareView;
  /** Its seeded databases (absent: none seeded). */
  databases?: DatabaseSeedView[];
}

/** The top-level fields of an environment a patch can set (everything but its services). */
export const ENVIRONMENT_FIELDS = [
  'project',
  'env',
  'branch',
  'stage',
  'status',
  'createdAt',
  'updatedAt',
  'expiresAt',
  'commit',
  'lastOperation',
  'promoteTo',
  'quotas',
  'share',
  'databases',
] as const;
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
