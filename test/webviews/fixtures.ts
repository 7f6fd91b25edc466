/**
 * View models as the extension sends them, modelled on the example project (examples/shop:
 * `web` on PostgreSQL `db`, promoted preview -> staging -> production). Times are relative to
 * now so relative times read the same on every run.
 */
import type { DriftView, EnvironmentView, GateView, PipelineView } from '../../webviews/protocol';

export const XSS_BRANCH = '"><img src=x onerror=alert(1)>';
export const XSS_LOG = '<script>window.__pwned=1</script>';
export const XSS_OUTPUT = '<img src=x onerror="window.__pwned=2"><b>bold?</b><script>window.__pwned=3</script>';

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const ahead = (ms: number) => new Date(Date.now() + ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const MiB = 1024 * 1024;
const WEB_IMAGE = 'sha256:3f1c9b7a2e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8';
const DB_IMAGE = 'sha256:9a8b7c6d5e4f30211f2e3d4c5b6a79880716253443526170f8e9dacbbcadbfce';

export function environment(overrides: Partial<EnvironmentView> = {}): EnvironmentView {
  return {
    project: 'shop',
    env: 'feature-checkout-7c2e1a',
    branch: 'feature/checkout',
    status: 'running',
    createdAt: ago(2 * HOUR + 5 * MIN),
    updatedAt: ago(12 * MIN),
    expiresAt: ahead(5 * HOUR + 42 * MIN),
    commit: '4b1e9d2c7a0f3e5d6c8b9a1f2e3d4c5b6a7f8e9d',
    promoteTo: 'staging',
    lastOperation: { op: 'up', status: 'succeeded', at: ago(12 * MIN) },
    services: [
      {
        name: 'web',
        state: 'running',
        health: 'healthy',
        url: 'http://127.0.0.1:49213',
        ports: [{ container: 8080, host: 49213 }],
        image: WEB_IMAGE,
        cpu: { used: 0.12, quota: 0.5 },
        memory: { used: 91 * MiB, quota: 256 * MiB },
        logs: [
          '2025-01-14T10:02:11.201Z GET /healthz 200 1.2ms',
          '2025-01-14T10:02:14.877Z GET / 200 18.4ms',
          '2025-01-14T10:02:15.002Z GET /api/products 200 42.9ms',
          '2025-01-14T10:02:21.201Z GET /healthz 200 0.9ms',
        ],
      },
      {
        name: 'db',
        state: 'running',
        health: 'healthy',
        ports: [{ container: 5432, host: 49214 }],
        image: DB_IMAGE,
        cpu: { used: 0.46, quota: 0.5 },
        memory: { used: 212 * MiB, quota: 256 * MiB },
        logs: ['2025-01-14 10:00:02.118 UTC [1] LOG:  database system is ready to accept connections'],
      },
    ],
    ...overrides,
  };
}

export function gates(): { staging: GateView[]; production: GateView[] } {
  const g = (
    stage: string,
    name: string,
    kind: string,
    state: GateView['state'],
    reason: string,
    evidence: GateView['evidence'],
    durationMs: number,
    at: number,
  ): GateView => ({
    stage,
    name,
    kind,
    state,
    reason,
    evidence,
    durationMs,
    startedAt: ago(at),
  });
  return {
    staging: [
      g(
        'staging',
        'health',
        'health',
        'pass',
        'all 2 services are running and healthy',
        { services: 'web healthy, db healthy' },
        41,
        4 * MIN,
      ),
      g(
        'staging',
        'drift',
        'drift',
        'pass',
        'no drift: what runs matches what was declared',
        { count: 0 },
        1830,
        4 * MIN,
      ),
      g(
        'staging',
        'syntax',
        'command',
        'fail',
        '"node --check server.js" exited with 1',
        {
          command: 'node --check server.js',
          exitCode: 1,
          outputTail: "/app/server.js:12\n  res.end('ok'\n         ^^^^\nSyntaxError: missing ) after argument list",
        },
        312,
        4 * MIN,
      ),
      g(
        'staging',
        'approval',
        'approval',
        'pending',
        '0 of 1 approval',
        { required: 1, author: 'dev@example.com', approvers: [] },
        3,
        4 * MIN,
      ),
    ],
    production: [
      g('production', 'health', 'health', 'pending', 'not run yet: nothing is deployed to staging', {}, 0, 0),
      g('production', 'drift', 'drift', 'pending', 'not run yet: nothing is deployed to staging', {}, 0, 0),
      g(
        'production',
        'approval',
        'approval',
        'pending',
        '1 of 2 approvals (lead@example.com)',
        { required: 2, approvers: [{ approver: 'lead@example.com', at: ago(30 * MIN), comment: 'LGTM' }] },
        2,
        30 * MIN,
      ),
      g(
        'production',
        'window',
        'window',
        'pass',
        'Tue 14:05 (Europe/Berlin) is inside Mon-Fri 09:00-17:00',
        {
          timezone: 'Europe/Berlin',
          localTime: 'Tue 14:05',
          allow: ['Mon-Fri 09:00-17:00'],
          matched: 'Mon-Fri 09:00-17:00',
        },
        1,
        4 * MIN,
      ),
    ],
  };
}

export function pipeline(overrides: Partial<PipelineView> = {}): PipelineView {
  const gs = gates();
  return {
    project: 'shop',
    env: 'feature-checkout-7c2e1a',
    branch: 'feature/checkout',
    commit: '4b1e9d2c7a0f3e5d6c8b9a1f2e3d4c5b6a7f8e9d',
    stages: [
      { name: 'preview', env: 'feature-checkout-7c2e1a', status: 'running' },
      {
        name: 'staging',
        env: 'stage_staging',
        status: 'running',
        release: {
          number: 3,
          commit: '0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d',
          at: ago(26 * HOUR),
          by: 'lead@example.com',
        },
      },
      {
        name: 'production',
        env: 'stage_production',
        status: 'running',
        release: {
          number: 7,
          commit: '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d',
          at: ago(6 * 24 * HOUR),
          by: 'ops@example.com',
        },
      },
    ],
    promotions: [
      { from: 'preview', to: 'staging', gates: gs.staging, canPromote: true },
      { from: 'staging', to: 'production', gates: gs.production, canPromote: true },
    ],
    ...overrides,
  };
}

export function drift(overrides: Partial<DriftView> = {}): DriftView {
  return {
    project: 'shop',
    env: 'feature-checkout-7c2e1a',
    branch: 'feature/checkout',
    checkedAt: ago(2 * MIN),
    resources: [
      {
        urn: 'urn:pulumi:feature-checkout-7c2e1a::slipway-shop::slipway:docker:Container::web',
        name: 'web',
        type: 'container',
        source: 'reality',
        remedies: ['reapply', 'accept'],
        properties: [
          { path: 'env.GREETING', declared: 'Hello from Slipway', actual: 'Hello from a hotfix' },
          { path: 'memory', declared: '256Mi', actual: '512Mi' },
          { path: 'state', declared: 'running', actual: 'exited' },
        ],
      },
      {
        urn: 'urn:pulumi:feature-checkout-7c2e1a::slipway-shop::slipway:docker:Container::db',
        name: 'db',
        type: 'container',
        source: 'spec',
        remedies: ['reapply'],
        properties: [{ path: 'image', declared: 'slipway/postgres:16', actual: 'slipway/postgres:15' }],
      },
    ],
    ...overrides,
  };
}
