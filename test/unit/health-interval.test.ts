/** How often Docker runs a container's health check command: quick until healthy, then rarely, where the engine can tell the two apart. */
import assert from 'node:assert/strict';
import { checkIntervalMs } from '../../environments/docker/provider/container';

describe("a health check command's interval", () => {
  it('is 30 s once healthy on an engine that honours StartInterval (API 1.44, Docker 25, or later)', () => {
    assert.equal(checkIntervalMs('1.44', 500), 30000);
    assert.equal(checkIntervalMs('1.47', 500), 30000);
    assert.equal(checkIntervalMs('2.0', 500), 30000);
    assert.equal(checkIntervalMs('1.45', 60000), 60000, 'never shorter than the start-up interval asked for');
  });

  it('stays the start-up interval on an older engine, which waits one interval before the first check', () => {
    assert.equal(checkIntervalMs('1.41', 500), 500);
    assert.equal(checkIntervalMs('1.43', 500), 500);
    assert.equal(checkIntervalMs(undefined, 500), 500, 'an engine that does not say its version');
    assert.equal(checkIntervalMs('unknown', 500), 500);
  });
});
