/**
 * Which services an `up` stops ahead of Pulumi (environments/pulumi/ops/up-ahead.ts): those whose
 * container it will certainly replace with nothing to build or pull first, never one it might keep.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvRecord } from '../../environments/records';
import { replacedAhead } from '../../environments/pulumi/ops/up-ahead';
import { parseSpec } from '../../environments/spec/load';
import type { Spec } from '../../environments/spec/types';

describe('the stop ahead of Pulumi for replaced services', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-ahead-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const specOf = (web: string, api = '{ image: api:1, ports: [80] }', worker = '{ image: w:1, job: true }'): Spec =>
    parseSpec(
      [
        'version: 1',
        'name: shop',
        'services:',
        `  web: ${web}`,
        `  api: ${api}`,
        `  migrate: ${worker}`,
        'databases:',
        '  db: { engine: postgres, version: "15" }',
        '',
      ].join('\n'),
      join(dir, 'slipway.yaml'),
    );
  const WEB = '{ build: ., ports: [8080], env: { GREETING: hi, DATABASE_URL: "${{ databases.db.url }}" } }';
  const recordOf = (spec: Spec, over: Partial<NonNullable<EnvRecord['applied']>> = {}): EnvRecord =>
    ({
      applied: {
        fingerprint: 'f',
        containers: { web: 'id-web', api: 'id-api', migrate: 'id-migrate', db: 'id-db' },
        images: {},
        contexts: { web: 'ctx-1' },
        ...over,
      },
      ran: { services: spec.services, databases: spec.databases },
    }) as unknown as EnvRecord;
  const before = () => recordOf(specOf(WEB));

  it('takes a service whose env, command, ports, health check or resources changed, nothing else', () => {
    const changes: Array<[string, string]> = [
      ['env', WEB.replace('hi', 'hello')],
      ['command', WEB.replace('{ build', '{ command: [node, x.js], build')],
      ['ports', WEB.replace('[8080]', '[8081]')],
      ['healthcheck', WEB.replace('{ build', '{ healthcheck: { http: /healthz }, build')],
      ['resources', WEB.replace('{ build', '{ resources: { cpus: 0.5 }, build')],
    ];
    for (const [what, web] of changes)
      assert.deepEqual(
        replacedAhead(before(), specOf(web), { web: 'ctx-1' }),
        [{ service: 'web', id: 'id-web' }],
        what,
      );
    // The same spec: nothing (that up is a no-op, or Pulumi finds only drift).
    assert.deepEqual(replacedAhead(before(), specOf(WEB), { web: 'ctx-1' }), []);
  });

  it('leaves a service whose image is built again, or whose image changes, to Pulumi', () => {
    const changed = specOf(WEB.replace('hi', 'hello'));
    // Its build context changed: the image is built first, and that build may fail or take minutes.
    assert.deepEqual(replacedAhead(before(), changed, { web: 'ctx-2' }), []);
    // No hash recorded for it (an up of an earlier Slipway): not known to be unchanged.
    assert.deepEqual(replacedAhead(recordOf(specOf(WEB), { contexts: undefined }), changed, { web: 'ctx-1' }), []);
    // Another image, or the env change together with a field outside the replacing ones.
    assert.deepEqual(replacedAhead(before(), specOf(WEB, '{ image: api:2, ports: [80] }'), { web: 'ctx-1' }), []);
    assert.deepEqual(
      replacedAhead(before(), specOf(WEB, '{ image: api:1, ports: [80], env: { A: b }, depends_on: [web] }'), {
        web: 'ctx-1',
      }),
      [],
    );
    // An image service whose env changed alone is taken.
    assert.deepEqual(
      replacedAhead(before(), specOf(WEB, '{ image: api:1, ports: [80], env: { A: b } }'), { web: 'ctx-1' }),
      [{ service: 'api', id: 'id-api' }],
    );
  });

  it('takes nothing after a partial or failed up, and never a job or a new service', () => {
    const changed = specOf(
      WEB.replace('hi', 'hello'),
      '{ image: api:1, ports: [80] }',
      '{ image: w:1, job: true, env: { V: "2" } }',
    );
    assert.deepEqual(replacedAhead(recordOf(specOf(WEB), { fingerprint: 'partial' }), changed, { web: 'ctx-1' }), []);
    assert.deepEqual(replacedAhead({ ...before(), applied: undefined } as EnvRecord, changed, { web: 'ctx-1' }), []);
    assert.deepEqual(replacedAhead(undefined, changed, { web: 'ctx-1' }), []);
    // The job's env changed too: only web is taken.
    assert.deepEqual(replacedAhead(before(), changed, { web: 'ctx-1' }), [{ service: 'web', id: 'id-web' }]);
    // A service the last up did not run has no container to stop.
    const fresh = recordOf(specOf(WEB), { containers: { api: 'id-api' } });
    assert.deepEqual(replacedAhead(fresh, changed, { web: 'ctx-1' }), []);
  });
});
