/** The checks gate sends its token only over https to hosts the user allowed in `slipway.checks.allowedHosts`. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GateContext } from '../../environments/pipeline/gates';
import { checksGate } from '../../environments/pipeline/gates/checks';
import { allowedCheckHosts, checksEndpointRefusal } from '../../environments/pipeline/gates/checks-hosts';

const TOKEN = 'ghp_hosts_test_token';
type Gate = Parameters<typeof checksGate>[0];

describe('checks gate: allowed hosts', () => {
  let home: string;
  let server: Server;
  let port: number;
  let requests: number;

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'slipway-checks-hosts-'));
    requests = 0;
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"total_count":0,"check_runs":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    rmSync(home, { recursive: true, force: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const allow = (hosts: unknown): void =>
    writeFileSync(join(home, 'settings.json'), JSON.stringify({ 'slipway.checks.allowedHosts': hosts }));
  const gate = (apiUrl: string): Gate =>
    ({
      kind: 'checks',
      name: 'checks',
      repository: 'acme/shop',
      apiUrl,
      tokenEnv: 'GITHUB_TOKEN',
      required: [],
    }) as Gate;
  const ctx = (): GateContext =>
    ({ commit: 'c0ffee', home, processEnv: { GITHUB_TOKEN: TOKEN }, fetch }) as unknown as GateContext;
  const run = () => ({ signal: new AbortController().signal }) as unknown as Parameters<typeof checksGate>[2];

  it('allows only api.github.com over https by default', () => {
    rmSync(join(home, 'settings.json'), { force: true });
    assert.deepStrictEqual(allowedCheckHosts(home), ['api.github.com']);
    assert.equal(checksEndpointRefusal('https://api.github.com', allowedCheckHosts(home)), undefined);
    assert.equal(
      checksEndpointRefusal('https://ghe.corp.example/api/v3', ['api.github.com']),
      'refused to send the checks token to ghe.corp.example: it is not in the allowed hosts; ' +
        'add it to slipway.checks.allowedHosts (now: api.github.com) in your user settings if you trust it',
    );
  });

  it('refuses plain http to a listed host that is not loopback, and accepts https to it', () => {
    const allowed = ['ghe.corp.example'];
    assert.match(
      checksEndpointRefusal('http://ghe.corp.example/api/v3', allowed) ?? '',
      /^refused to send the checks token to ghe\.corp\.example over http: only https is allowed .*slipway\.checks\.allowedHosts/,
    );
    assert.equal(checksEndpointRefusal('https://ghe.corp.example/api/v3', allowed), undefined);
    assert.equal(checksEndpointRefusal('https://ghe.corp.example:8443', ['ghe.corp.example:8443']), undefined);
    assert.ok(checksEndpointRefusal('https://ghe.corp.example:8443', ['ghe.corp.example:9443']));
  });

  it('sends nothing to an unlisted local server, and reaches it once it is listed', async () => {
    allow(['api.github.com']);
    const refused = await checksGate(gate(`http://127.0.0.1:${port}`), ctx(), run());
    assert.equal(refused.state, 'fail');
    assert.match(
      refused.reason,
      new RegExp(`^refused to send the checks token to 127\\.0\\.0\\.1:${port}: .*allowedHosts`),
    );
    assert.deepStrictEqual(refused.evidence.allowedHosts, ['api.github.com']);
    assert.equal(requests, 0, 'no request was sent');
    assert.ok(!JSON.stringify(refused).includes(TOKEN));

    allow(['127.0.0.1']);
    const reached = await checksGate(gate(`http://127.0.0.1:${port}`), ctx(), run());
    assert.equal(requests, 1);
    assert.equal(reached.state, 'pending', reached.reason);
  });

  it('falls back to the default when the setting is not a list of names', () => {
    allow('127.0.0.1');
    assert.deepStrictEqual(allowedCheckHosts(home), ['api.github.com']);
  });
});
