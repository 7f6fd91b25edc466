/** Quota limits from the three sources (strictest wins), their errors with file and line, and the per-environment default split over containers. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../environments/errors';
import { quotaUse, specDemand, withDefaultResources } from '../../environments/quotas/check';
import { readLimits } from '../../environments/quotas/limits';
import type { Spec } from '../../environments/spec/types';

describe('quota limits', () => {
  let home: string;
  let ws: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'slipway-limits-home-'));
    ws = mkdtempSync(join(tmpdir(), 'slipway-limits-ws-'));
    mkdirSync(join(ws, '.vscode'));
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(ws, { recursive: true, force: true });
  });

  it('takes the strictest value of workspace, user and host policy, naming its file', () => {
    writeFileSync(
      join(ws, '.vscode', 'settings.json'),
      '{\n  // team\n  "slipway.quotas.maxEnvironmentsPerUser": 2,\n  "slipway.quotas.memoryPerEnvironment": "1g",\n}\n',
    );
    writeFileSync(
      join(home, 'settings.json'),
      '{ "slipway.quotas.maxEnvironmentsPerUser": 5, "slipway.quotas.memoryPerEnvironment": "512m", "slipway.ttl.default": "2h" }',
    );
    writeFileSync(
      join(home, 'policy.yaml'),
      'quotas:\n  cpusPerHost: 4\n  maxEnvironmentsPerUser: 3\nttl:\n  default: 24h\n',
    );
    const l = readLimits(home, ws);
    assert.deepEqual(l.limits.maxEnvironmentsPerUser, {
      value: 2,
      setting: 'slipway.quotas.maxEnvironmentsPerUser',
      source: join(ws, '.vscode', 'settings.json'),
    });
    assert.equal(l.limits.memoryPerEnvironment?.value, 512 * 1024 * 1024);
    assert.equal(l.limits.memoryPerEnvironment?.source, join(home, 'settings.json'));
    assert.deepEqual(l.limits.cpusPerHost, {
      value: 4,
      setting: 'quotas.cpusPerHost',
      source: join(home, 'policy.yaml'),
    });
    assert.deepEqual(l.ttl, { ms: 2 * 3600_000, source: join(home, 'settings.json') });
  });

  it('0 is no limit: a user cannot lift a team limit with it', () => {
    writeFileSync(join(ws, '.vscode', 'settings.json'), '{ "slipway.quotas.maxEnvironmentsPerUser": 2 }');
    writeFileSync(join(home, 'settings.json'), '{ "slipway.quotas.maxEnvironmentsPerUser": 0 }');
    assert.equal(readLimits(home, ws).limits.maxEnvironmentsPerUser?.value, 2);
  });

  it('a bad value names the file, line and setting', () => {
    writeFileSync(
      join(ws, '.vscode', 'settings.json'),
      '{\n  "editor.tabSize": 2,\n  "slipway.quotas.memoryPerEnvironment": "lots"\n}',
    );
    assert.throws(
      () => readLimits(home, ws),
      (e: unknown) =>
        SlipwayError.is(e, 'settings-invalid') &&
        e.message.startsWith(
          `${join(ws, '.vscode', 'settings.json')}:3: slipway.quotas.memoryPerEnvironment must be a size`,
        ),
    );
    writeFileSync(join(ws, '.vscode', 'settings.json'), '{}');
    writeFileSync(join(home, 'policy.yaml'), 'quotas:\n  cpusPerHost: 4\n  environments: 3\n');
    assert.throws(
      () => readLimits(home, ws),
      (e: unknown) =>
        SlipwayError.is(e, 'settings-invalid') &&
        e.message.startsWith(`${join(home, 'policy.yaml')}:3: quotas.environments is not a limit`),
    );
  });

  it('containers without limits share what the declared ones leave of the per-environment default', () => {
    const res = (cpus?: number, memoryBytes?: number) => ({ cpus, memoryBytes });
    const spec = {
      services: [
        { name: 'web', resources: res() },
        { name: 'worker', resources: res(0.5, 256 * 1024 * 1024) },
      ],
      databases: [{ name: 'db', resources: res() }],
    } as unknown as Spec;
    const limits = {
      limits: {
        cpusPerEnvironment: { value: 2, setting: 's', source: 'f' },
        memoryPerEnvironment: { value: 1024 ** 3, setting: 's', source: 'f' },
      },
      sources: [],
    };
    const out = withDefaultResources(spec, limits);
    assert.deepEqual(out.services[0].resources, { cpus: 0.75, memoryBytes: 384 * 1024 * 1024 });
    assert.deepEqual(out.services[1].resources, { cpus: 0.5, memoryBytes: 256 * 1024 * 1024 });
    assert.deepEqual(specDemand(out), { cpus: 2, memoryBytes: 1024 ** 3 });
  });

  it('use counts the user’s previews, not stages, and names who holds them', () => {
    const h = (env: string, owner: string, cpus = 0) => ({
      state: 's',
      project: 'shop',
      env,
      branch: env,
      owner,
      cpus,
      memoryBytes: 0,
    });
    const limits = {
      limits: {
        maxEnvironmentsPerUser: { value: 2, setting: 'u', source: 'f' },
        cpusPerHost: { value: 4, setting: 'c', source: 'p' },
      },
      sources: [],
    };
    const use = quotaUse(limits, [h('a', 'me', 1), h('b', 'you', 1.5), h('stage_staging', 'me', 1)], {
      owner: 'me',
      project: 'shop',
    });
    assert.deepEqual(
      use.map((u) => [u.key, u.text.used, u.holders]),
      [
        ['maxEnvironmentsPerUser', '1', 'me: shop/a'],
        ['cpusPerHost', '3.5', 'me 2, you 1.5'],
      ],
    );
  });
});
