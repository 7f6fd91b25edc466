/** What an environment's record says runs after a targeted update (a per-resource reapply). */
import assert from 'node:assert/strict';
import { mergeRan } from '../../environments/records';
import type { DatabaseSpec, ServiceSpec } from '../../environments/spec/types';

const svc = (name: string, greeting: string) =>
  ({ name, image: 'slipway/busybox:local', ports: [], env: { GREETING: greeting } }) as unknown as ServiceSpec;
const db = (name: string, memoryBytes: number) =>
  ({ name, engine: 'postgres', version: '15', resources: { memoryBytes } }) as unknown as DatabaseSpec;

describe('records: what runs after a targeted update', () => {
  const prior = { services: [svc('web', 'old'), svc('api', 'old')], databases: [db('db', 256)] };
  const spec = { services: [svc('web', 'new'), svc('api', 'new')], databases: [db('db', 512)] };

  it("takes the spec's entry for a targeted container and keeps the last one for the rest", () => {
    const ran = mergeRan(prior, spec, [{ name: 'web' }]);
    assert.deepEqual(
      ran.services.map((s) => [s.name, s.env.GREETING]),
      [
        ['web', 'new'],
        ['api', 'old'],
      ],
    );
    assert.equal(ran.databases[0].resources?.memoryBytes, 256);
  });

  it('maps an image, volume or password back to its service or database', () => {
    const ran = mergeRan(prior, spec, [{ name: 'api-image' }, { name: 'db-volume' }]);
    assert.deepEqual(
      ran.services.map((s) => [s.name, s.env.GREETING]),
      [
        ['web', 'old'],
        ['api', 'new'],
      ],
    );
    assert.equal(ran.databases[0].resources?.memoryBytes, 512);
  });

  it('adds a targeted service the spec adds, and drops a targeted one the spec removed', () => {
    const added = mergeRan(prior, { services: [...spec.services, svc('worker', 'new')], databases: spec.databases }, [
      { name: 'worker' },
    ]);
    assert.deepEqual(
      added.services.map((s) => s.name),
      ['web', 'api', 'worker'],
    );
    const removed = mergeRan(prior, { services: [svc('web', 'old')], databases: spec.databases }, [{ name: 'api' }]);
    assert.deepEqual(
      removed.services.map((s) => s.name),
      ['web'],
    );
  });
});
