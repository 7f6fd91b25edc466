// `slipway list` prints one aligned row per environment, with or without colour.
import assert from 'node:assert/strict';
import { paint } from '../../environments/cli/colour';
import type { Context } from '../../environments/cli/context';
import { printEnvironments } from '../../environments/cli/print';
import type { EnvironmentStatus } from '../../environments/engine';

const NOW = Date.parse('2026-12-02T12:00:00Z');

function env(branch: string, extra: Partial<EnvironmentStatus> = {}): EnvironmentStatus {
  return {
    project: 'shop',
    env: `shop-${branch}`,
    branch,
    stack: `shop-${branch}`,
    status: 'running',
    urls: { web: 'http://127.0.0.1:31001' },
    services: [
      { service: 'web', state: 'running', health: 'healthy' },
      { service: 'db', state: 'running', health: 'healthy' },
    ],
    owner: 'ann@example.com',
    ttl: { ms: 7_200_000, lastActivity: '2026-12-02T11:00:00Z', expiresAt: '2026-12-02T13:30:00Z' },
    ...extra,
  } as EnvironmentStatus;
}

function print(colour: boolean, all: EnvironmentStatus[]): string[] {
  const lines: string[] = [];
  printEnvironments({ paint: paint(colour), out: (l: string) => lines.push(l) } as unknown as Context, all, NOW);
  return lines;
}

describe('slipway list: the environments table', () => {
  const all = [
    env('main'),
    env('feature/a-much-longer-branch-name', {
      status: 'degraded',
      urls: {},
      services: [{ service: 'web', state: 'exited', health: 'none' }],
      ttl: { ms: 1, lastActivity: '2026-12-01T00:00:00Z', expiresAt: '2026-12-01T01:00:00Z' },
      commit: 'abc123+dirty',
    } as Partial<EnvironmentStatus>),
  ];

  it('aligns every column under its heading, whatever the branch name length', () => {
    const [head, ...rows] = print(false, all);
    assert.match(head, /^ENVIRONMENT\s+STATUS\s+SERVICES\s+URL\s+OWNER\s+EXPIRES$/);
    for (const col of ['STATUS', 'SERVICES', 'URL', 'OWNER', 'EXPIRES']) {
      const at = head.indexOf(col);
      for (const row of rows) assert.notEqual(row[at - 1], undefined, `${col} column of ${JSON.stringify(row)}`);
    }
    assert.equal(rows[0].indexOf('running'), head.indexOf('STATUS'));
    assert.equal(rows[1].indexOf('degraded'), head.indexOf('STATUS'));
    assert.equal(rows[0].indexOf('2/2 running'), head.indexOf('SERVICES'));
    assert.equal(rows[1].indexOf('0/1 running'), head.indexOf('SERVICES'));
    assert.match(rows[0], /http:\/\/127\.0\.0\.1:31001\s+ann@example\.com\s+in 1h 30m$/);
    assert.match(rows[1], /degraded dirty\s+0\/1 running\s+-\s+ann@example\.com\s+expired$/);
  });

  it('colours the state on a terminal and keeps the columns aligned', () => {
    const plain = print(false, all);
    const coloured = print(true, all);
    assert.ok(coloured[1].includes('\x1b[32mrunning\x1b[39m'));
    const strip = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
    assert.deepEqual(coloured.map(strip), plain);
  });
});
