/**
 * `services.<name>.job` in slipway.yaml (its timeout, each problem at its line and field), and
 * `slipway init` making a job of what compose waits for with `service_completed_successfully`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SpecIssue } from '../../environments/errors';
import { draftSpec } from '../../environments/spec/init';
import { parseSpec } from '../../environments/spec/load';
import { specIssues } from '../spec-issues';

const yaml = (...lines: string[]): string => lines.join('\n') + '\n';
const HEAD = ['version: 1', 'name: shop', 'services:', '  web: { image: x, ports: [80], depends_on: [migrate] }'];

describe('slipway.yaml services.<name>.job', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-job-'));
    file = join(dir, 'slipway.yaml');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const issuesOf = (text: string): SpecIssue[] => specIssues(text, file);

  it('runs within 10 minutes unless its timeout says otherwise; a service is no job', () => {
    const spec = parseSpec(yaml(...HEAD, '  migrate: { image: x, job: true }'), file);
    assert.deepEqual(spec.services.find((s) => s.name === 'migrate')?.job, { timeoutMs: 600_000 });
    assert.equal(spec.services.find((s) => s.name === 'web')?.job, undefined);
    const timed = parseSpec(yaml(...HEAD, '  migrate: { image: x, job: { timeout: 90s } }'), file);
    assert.deepEqual(timed.services.find((s) => s.name === 'migrate')?.job, { timeoutMs: 90_000 });
    const off = parseSpec(yaml(...HEAD, '  migrate: { image: x, job: false }'), file);
    assert.equal(off.services.find((s) => s.name === 'migrate')?.job, undefined);
  });

  it('refuses ports, a health check and a bad timeout on a job, and a job with a Swarm stage, each at its line', () => {
    const issues = issuesOf(
      yaml(
        ...HEAD,
        '  migrate:',
        '    image: x',
        '    job: true',
        '    ports: [5000]',
        '    healthcheck: { http: /healthz }',
        'pipeline:',
        '  stages:',
        '    - preview',
        '    - { name: production, orchestrator: swarm, endpoint: "tcp://10.0.0.1:2376" }',
      ),
    );
    const at = (field: string) => issues.find((i) => i.field === field);
    assert.match(
      at('services.migrate.ports')!.message,
      /migrate is a job: it exits when done, so it publishes no ports/,
    );
    assert.equal(at('services.migrate.ports')!.line, 8);
    assert.match(at('services.migrate.healthcheck')!.message, /has no health check/);
    assert.equal(at('services.migrate.healthcheck')!.line, 9);
    assert.match(at('services.migrate.job')!.message, /stage production runs on Docker Swarm/);
    assert.equal(at('services.migrate.job')!.line, 7);
    const bad = issuesOf(yaml(...HEAD, '  migrate: { image: x, job: { timeout: soon } }'));
    assert.equal(bad[0].field, 'services.migrate.job.timeout');
    assert.match(bad[0].message, /must be a duration/);
  });
});

describe('slipway init: what compose waits for to complete', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'slipway-init-job-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('becomes a job (its ports and health check listed), even one run with the postgres image', () => {
    writeFileSync(
      join(dir, 'compose.yaml'),
      yaml(
        'services:',
        '  migrate:',
        '    image: postgres:16',
        '    command: ["sh", "-c", "psql \\"$$DATABASE_URL\\" -f /schema.sql"]',
        '    environment: { DATABASE_URL: "postgres://app:pw@db:5432/app" }',
        '    ports: ["5001:5001"]',
        '    healthcheck: { test: ["CMD", "true"] }',
        '    depends_on: { db: { condition: service_healthy } }',
        '  api:',
        '    image: api:dev',
        '    depends_on: { migrate: { condition: service_completed_successfully } }',
        '  db:',
        '    image: postgres:16',
        '    environment: { POSTGRES_USER: app, POSTGRES_PASSWORD: pw, POSTGRES_DB: app }',
      ),
    );
    const d = draftSpec(dir);
    const spec = parseSpec(d.text, join(dir, 'slipway.yaml'));
    const migrate = spec.services.find((s) => s.name === 'migrate');
    assert.deepEqual(migrate?.job, { timeoutMs: 600_000 });
    assert.deepEqual(migrate?.ports, []);
    assert.deepEqual(migrate?.dependsOn.databases, ['db']);
    assert.deepEqual(migrate?.env.DATABASE_URL, [{ ref: { kind: 'databases', name: 'db', attr: 'url' } }]);
    assert.deepEqual(spec.services.find((s) => s.name === 'api')?.dependsOn.services, ['migrate']);
    assert.deepEqual(
      spec.databases.map((db) => db.name),
      ['db'],
    );
    assert.deepEqual(
      d.unmapped.map((u) => [u.line, u.field]),
      [
        [6, 'services.migrate.ports'],
        [7, 'services.migrate.healthcheck'],
      ],
    );
  });
});
