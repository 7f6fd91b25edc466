/**
 * Gate results never hold the source environment's secrets: a command that prints the database
 * password or URL has them masked in its reason and evidence, before any event or store sees it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateGates, type GateContext, type GateResult } from '../../environments/pipeline/gates';

const PASSWORD = 'Zq8vT3nR5wXy2LmK9pQa7sDf';
const URL = `postgres://app:${PASSWORD}@db:5432/app`;

describe("gate results and the environment's secrets", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'slipway-gate-secrets-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('mask the database password and URL a command prints, in the result and in what onResult sees', async () => {
    const ctx: GateContext = {
      project: 'shop',
      env: 'feature-x-abc123',
      branch: 'feature/x',
      commit: 'c0ffee1234567890c0ffee1234567890c0ffee12',
      author: 'author@example.com',
      specDir: dir,
      home: dir,
      now: () => new Date(),
      processEnv: { DATABASE_URL: URL },
      fetch,
      secrets: [URL, PASSWORD],
      health: async () => ({ ok: true, services: [] }),
      drift: async () => ({ drifted: false, count: 0, summary: [] }),
    };
    const seen: GateResult[] = [];
    const [result] = await evaluateGates(
      {
        name: 'staging',
        gates: [
          {
            kind: 'command',
            name: 'migrate',
            run: `echo "connecting to $DATABASE_URL"; echo "password ${PASSWORD}"; exit 1`,
            timeoutMs: 10_000,
          },
        ],
      },
      ctx,
      { onResult: (r) => seen.push(r) },
    );
    assert.equal(result.state, 'fail');
    const shown = JSON.stringify([result, seen]);
    assert.ok(!shown.includes(PASSWORD), shown);
    assert.match(String(result.evidence.outputTail), /connecting to \*\*\*\npassword \*\*\*/);
    assert.match(result.reason, /\*\*\*/, 'the reason quotes the command, masked');
  });
});
