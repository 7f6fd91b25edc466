/** The checks gate through Octokit against a local GitHub stand-in: every page of runs, retries of 502 and 429, page links kept on the API host. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RETRY_BASE_MS, checksGate } from '../../environments/pipeline/gates/checks';
import type { GateContext } from '../../environments/pipeline/gates';

const TOKEN = 'ghp_local_test_token';
const COMMIT = 'c0ffee0000000000000000000000000000000001';
type Gate = Parameters<typeof checksGate>[0];

describe('checks gate through Octokit', () => {
  let server: Server;
  let apiUrl: string;
  let requests: Array<{ url: string; authorization?: string }>;
  /** Answers still to give before the normal page, by page number: a status each. */
  let failures: Record<string, number[]>;
  /** Where page 2's next link points (the API host unless a test changes it). */
  let pageLinkHost: string;
  const saved = RETRY_BASE_MS.value;
  /** SLIPWAY_HOME whose user settings allow the local stand-in as a checks host. */
  const home = mkdtempSync(join(tmpdir(), 'slipway-checks-'));
  writeFileSync(join(home, 'settings.json'), JSON.stringify({ 'slipway.checks.allowedHosts': ['127.0.0.1'] }));

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ url: url.pathname + url.search, authorization: req.headers.authorization });
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return void res.writeHead(401).end('{"message":"Bad credentials"}');
      if (url.pathname !== `/repos/acme/shop/commits/${COMMIT}/check-runs`)
        return void res.writeHead(404).end('{"message":"Not Found"}');
      const page = url.searchParams.get('page') ?? '1';
      const status = failures[page]?.shift();
      if (status)
        return void res
          .writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' })
          .end('{"message":"try again"}');
      const runs = [0, 1].map((i) => ({
        id: Number(page) * 10 + i,
        name: `job-${page}-${i}`,
        status: 'completed',
        conclusion: 'success',
      }));
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const next = (host: string, n: number) =>
        `<${host}/repos/acme/shop/commits/${COMMIT}/check-runs?per_page=100&page=${n}>; rel="next"`;
      if (page === '1') headers.link = next(apiUrl, 2);
      if (page === '2') headers.link = next(pageLinkHost, 3);
      res.writeHead(200, headers).end(JSON.stringify({ total_count: 6, check_runs: runs }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    RETRY_BASE_MS.value = 20;
  });

  after(async () => {
    RETRY_BASE_MS.value = saved;
    rmSync(home, { recursive: true, force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests = [];
    failures = {};
    pageLinkHost = apiUrl;
  });

  const gate = (): Gate =>
    ({
      kind: 'checks',
      name: 'checks',
      repository: 'acme/shop',
      apiUrl,
      tokenEnv: 'GITHUB_TOKEN',
      required: [],
    }) as Gate;
  const ctx = (): GateContext =>
    ({ commit: COMMIT, home, processEnv: { GITHUB_TOKEN: TOKEN }, fetch }) as unknown as GateContext;
  const run = () => ({ signal: new AbortController().signal }) as unknown as Parameters<typeof checksGate>[2];

  it('reads every page of check runs', async () => {
    const result = await checksGate(gate(), ctx(), run());
    assert.equal(result.state, 'pass', result.reason);
    assert.equal((result.evidence.runs as unknown[]).length, 6);
    assert.deepStrictEqual(
      requests.map((r) => new URL(r.url, apiUrl).searchParams.get('page') ?? '1'),
      ['1', '2', '3'],
    );
    assert.ok(requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  });

  it('retries a 502 and then reads on', async () => {
    failures['2'] = [502];
    const result = await checksGate(gate(), ctx(), run());
    assert.equal(result.state, 'pass', result.reason);
    assert.equal((result.evidence.runs as unknown[]).length, 6);
    assert.deepStrictEqual(
      requests.map((r) => new URL(r.url, apiUrl).searchParams.get('page') ?? '1'),
      ['1', '2', '2', '3'],
    );
  });

  it('retries a 429 (rate limited)', async () => {
    failures['1'] = [429, 429];
    const result = await checksGate(gate(), ctx(), run());
    assert.equal(result.state, 'pass', result.reason);
    assert.equal(requests.length, 5);
  });

  it('gives up after three retries and says what GitHub answered', async () => {
    failures['1'] = [503, 503, 503, 503, 503];
    const result = await checksGate(gate(), ctx(), run());
    assert.equal(result.state, 'fail');
    assert.equal(result.reason, 'GitHub answered 503 Service Unavailable: try again');
    assert.equal(requests.length, 4);
  });

  it('does not follow a page link to another host (the token stays with the API)', async () => {
    pageLinkHost = apiUrl.replace('127.0.0.1', 'localhost');
    const result = await checksGate(gate(), ctx(), run());
    assert.equal(result.state, 'fail');
    assert.match(result.reason, /refused to follow a page link to localhost:\d+/);
    assert.equal(requests.length, 2);
    assert.ok(!result.reason.includes(TOKEN));
  });
});
