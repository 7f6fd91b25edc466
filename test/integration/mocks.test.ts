/**
 * Mocks on real Docker + Pulumi: the example shop's payments mock in a preview (log, 400 naming the
 * field, runtime faults, state per environment), and record then replay against a local upstream.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  SHOP_SPEC,
  RUN,
  cliJson,
  jsonData,
  forceDown,
  getStatus,
  removeDir,
  requireEngines,
  runCli,
  startCli,
  tempHome,
} from './helpers';
import { waitFor } from '../wait';

interface StatusJson {
  urls: Record<string, string>;
  mocks?: Record<string, string>;
}

const json = async (url: string, method = 'GET', body?: unknown) => {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
};

describe('mocks on real Docker + Pulumi', function () {
  this.timeout(20 * 60 * 1000);
  let home: string;
  before(async () => {
    await requireEngines();
    home = tempHome('mocks');
  });
  after(() => removeDir(home));

  describe('the example shop calls its payments mock', () => {
    const a = `mocks-a-${RUN}`;
    const b = `mocks-b-${RUN}`;
    const args = (branch: string) => ['--spec', SHOP_SPEC, '--branch', branch];
    after(async () => {
      await forceDown(SHOP_SPEC, a, home);
      await forceDown(SHOP_SPEC, b, home);
    });

    it('reaches the mock (seen in its log), gets 400 naming a broken field, sees faults at once, and keeps state per environment', async () => {
      await cliJson(['up', ...args(a)], home);
      const status = await cliJson<StatusJson>(['status', ...args(a)], home);
      const web = status.urls.web;
      const mockUrl = status.mocks?.payments;
      assert.match(String(mockUrl), /^http:\/\/127\.0\.0\.1:\d+$/, 'status --json lists mocks: { payments: url }');
      assert.equal(await getStatus(`${web}/healthz`), 200);

      const charge = await json(`${web}/api/checkout`, 'POST', {
        amount: 1200,
        currency: 'eur',
        description: `order of ${a}`,
      });
      assert.equal(charge.status, 201, JSON.stringify(charge.body));
      const id = String(charge.body.id);
      const again = await json(`${web}/api/charges/${id}`);
      assert.deepEqual(again.body, charge.body, 'a GET after the POST returns what was posted');

      const log = await runCli(['mocks', 'log', 'payments', ...args(a), '--json'], home);
      assert.equal(log.code, 0, log.stderr);
      const { entries } = jsonData<{
        entries: Array<{ request: { method: string; path: string }; response: { status: number } }>;
      }>(log.stdout);
      assert.ok(
        entries.some((e) => e.request.method === 'POST' && e.request.path === '/charges' && e.response.status === 201),
        log.stdout,
      );

      const broken = await json(`${web}/api/checkout`, 'POST', { amount: 'twelve', currency: 'eur' });
      assert.equal(broken.status, 400);
      assert.deepEqual(
        (broken.body.errors as Array<{ field: string; rule: string }>).map((e) => [e.field, e.rule]),
        [['body.amount', 'type']],
      );

      const fault = await runCli(['mocks', 'fault', 'payments', ...args(a), '--status', '503', '--rate', '1'], home);
      assert.equal(fault.code, 0, fault.stderr);
      const failed = await json(`${web}/api/checkout`, 'POST', { amount: 5, currency: 'eur' });
      assert.equal(failed.status, 503, 'the next call sees the fault');
      const clear = await runCli(['mocks', 'fault', 'payments', ...args(a), '--clear'], home);
      assert.equal(clear.code, 0, clear.stderr);
      assert.equal(
        (await json(`${web}/api/checkout`, 'POST', { amount: 5, currency: 'eur' })).status,
        201,
        'the next call after --clear succeeds',
      );

      await cliJson(['up', ...args(b)], home);
      const other = await cliJson<StatusJson>(['status', ...args(b)], home);
      const elsewhere = await json(`${other.mocks!.payments}/charges/${id}`);
      assert.notEqual(elsewhere.body.description, `order of ${a}`, "another environment's mock never saw the POST");
      assert.equal((await json(`${mockUrl}/charges/${id}`)).body.description, `order of ${a}`);

      const reset = await runCli(['mocks', 'reset', 'payments', ...args(a)], home);
      assert.equal(reset.code, 0, reset.stderr);
      assert.notEqual(
        (await json(`${mockUrl}/charges/${id}`)).body.description,
        `order of ${a}`,
        'reset forgets what was posted',
      );
    });
  });

  describe('record, then replay offline', () => {
    const branch = `mocks-rec-${RUN}`;
    let dir: string;
    let spec: string;
    let upstream: Server | undefined;
    before(() => {
      dir = tempHome('mocks-rec');
      spec = join(dir, 'slipway.yaml');
      writeFileSync(
        spec,
        [
          'version: 1',
          'name: mockrec',
          'services:',
          '  app:',
          '    image: slipway/busybox:local',
          '    command: "sleep 100000"',
          '    env: { PARTNER: "${{ mocks.partner.url }}" }',
          'mocks:',
          '  partner:',
          '    recordings: recordings',
          '',
        ].join('\n'),
      );
      mkdirSync(join(dir, 'recordings'));
    });
    after(async () => {
      upstream?.close();
      await forceDown(spec, branch, home);
      removeDir(dir);
    });

    it('saves redacted exchanges, and the mock serves the same answers with the upstream gone', async () => {
      upstream = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              path: req.url,
              owner: 'ana.lima@example.org',
              echoed: req.headers.authorization,
              received: body ? JSON.parse(body) : null,
            }),
          );
        });
      });
      await new Promise<void>((r) => upstream!.listen(0, '127.0.0.1', r));
      const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

      const recorder = startCli(['mocks', 'record', 'partner', '--spec', spec, '--upstream', upstreamUrl], home);
      let out = '';
      recorder.stdout!.on('data', (d) => (out += d));
      const proxy = await waitFor('the recording proxy', () => /https?:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0], {
        timeoutMs: 30_000,
      });
      const headers = { authorization: 'Bearer tok_SECRET_42', 'content-type': 'application/json' };
      const live = [
        await (await fetch(`${proxy}/accounts/7?expand=owner`, { headers })).json(),
        await (
          await fetch(`${proxy}/transfers`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ amount: 10, to: 'bo@example.net' }),
          })
        ).json(),
      ];
      recorder.kill('SIGINT');
      await new Promise((r) => recorder.once('close', r));
      upstream.close();
      upstream = undefined;

      const files = readdirSync(join(dir, 'recordings'));
      assert.equal(files.length, 2, files.join(', '));
      for (const f of files) {
        const text = readFileSync(join(dir, 'recordings', f), 'utf8');
        assert.ok(!text.includes('tok_SECRET_42'), `${f} holds the Authorization value`);
        assert.ok(!/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/.test(text), `${f} holds an e-mail`);
      }

      await cliJson(['up', '--spec', spec, '--branch', branch], home);
      const status = await cliJson<StatusJson>(['status', '--spec', spec, '--branch', branch], home);
      const mock = status.mocks!.partner;
      const replayed = [
        await (await fetch(`${mock}/accounts/7?expand=owner`, { headers })).json(),
        await (
          await fetch(`${mock}/transfers`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ amount: 10, to: 'bo@example.net' }),
          })
        ).json(),
      ];
      const redacted = (v: unknown) =>
        JSON.parse(
          JSON.stringify(v)
            .replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|tok_SECRET_42/g, '[redacted]')
            .replace(/Bearer \[redacted\]/g, '[redacted]'),
        );
      assert.deepEqual(replayed, redacted(live));
      const miss = await fetch(`${mock}/accounts/8`);
      assert.equal(miss.status, 404);
      assert.deepEqual(((await miss.json()) as { nearest: string[] }).nearest[0], 'GET /accounts/7?expand=owner');
    });
  });
});
