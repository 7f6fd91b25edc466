/**
 * Protected share links through the real gateway, to environments on the real Docker Engine and
 * Pulumi: 200 with the token and then with the cookie alone, 401 without a token or with another
 * environment's, a WebSocket through the link, 410 once the link expired, 404 after `down`.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { readGateway } from '../../environments/share/supervise';
import { accessLogFile } from '../../environments/share/store';
import { envNames } from '../../environments/naming';
import { ROOT, RUN, cliJson, forceDown, removeDir, requireEngines, runCli, tempHome } from './helpers';
import { waitFor } from '../wait';

const PROJECT = `share-${RUN}`;

interface Link {
  url: string;
  expires: string;
}

interface Answer {
  status: number;
  body: string;
  cookie?: string;
  location?: string;
}

/** A GET to the gateway on 127.0.0.1 with the link's host name (`*.localhost` need not resolve here). */
function get(link: string, opts: { withToken?: boolean; cookie?: string; token?: string } = {}): Promise<Answer> {
  const u = new URL(link);
  if (!opts.withToken) u.searchParams.delete('slipway_token');
  if (opts.token) u.searchParams.set('slipway_token', opts.token);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(u.port),
        path: u.pathname + u.search,
        headers: { host: u.host, ...(opts.cookie ? { cookie: opts.cookie } : {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d) => (body += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            cookie: res.headers['set-cookie']?.[0],
            location: res.headers.location,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket through the link with the cookie, sends one text frame and returns the text of the answer. */
function webSocketEcho(link: string, cookie: string, text: string): Promise<string> {
  const u = new URL(link);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), '127.0.0.1', () => {
      socket.write(
        `GET /ws HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nCookie: ${cookie}\r\n\r\n`,
      );
    });
    let buf = Buffer.alloc(0);
    let upgraded = false;
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head}`));
        upgraded = true;
        buf = buf.subarray(end + 4);
        const mask = randomBytes(4);
        const payload = Buffer.from(text).map((b, i) => b ^ mask[i % 4]);
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload]));
      }
      if (upgraded && buf.length >= 2 && buf.length >= 2 + (buf[1] & 127)) {
        resolve(buf.subarray(2, 2 + (buf[1] & 127)).toString());
        socket.destroy();
      }
    });
    socket.on('error', reject);
  });
}

describe('share links on real Docker + Pulumi', function () {
  this.timeout(15 * 60 * 1000);
  let home: string;
  let dir: string;
  let specFile: string;
  const a = `share/a-${RUN}`;
  const b = `share/b-${RUN}`;

  before(async () => {
    await requireEngines();
    home = tempHome('share-home');
    dir = tempHome('share-ws');
    specFile = join(dir, 'slipway.yaml');
    writeFileSync(
      specFile,
      `version: 1\nname: ${PROJECT}\nservices:\n  web:\n    build: ${join(ROOT, 'test', 'fixtures', 'share-web')}\n    ports: [8080]\n    healthcheck:\n      http: /\n`,
    );
  });

  after(async () => {
    await Promise.all([a, b].map((br) => forceDown(specFile, br, home)));
    const gw = readGateway(home);
    if (gw) {
      try {
        process.kill(Number(gw.owner.split(' ')[0]), 'SIGTERM');
      } catch {
        // gone already
      }
    }
    removeDir(home);
    removeDir(dir);
  });

  it('answers 200 with the token then the cookie, 401 without or with another environment’s token, carries a WebSocket, 410 when expired, 404 after down', async () => {
    for (const br of [a, b]) {
      const r = await runCli(['up', '--spec', specFile, '--branch', br], home);
      assert.equal(r.code, 0, r.stderr);
    }
    const linkA = await cliJson<Link>(['share', '--spec', specFile, '--branch', a], home);
    const linkB = await cliJson<Link>(['share', '--spec', specFile, '--branch', b], home);
    const envA = envNames(PROJECT, a);
    assert.match(
      linkA.url,
      new RegExp(`^http://${envA.env}\\.${envA.project}\\.localhost:\\d+/\\?slipway_token=[\\w-]+$`),
    );
    const tokenA = new URL(linkA.url).searchParams.get('slipway_token')!;
    const tokenB = new URL(linkB.url).searchParams.get('slipway_token')!;
    // The token is stored hashed only.
    assert.ok(!readFileSync(join(home, 'shares', envA.project, `${envA.env}.json`), 'utf8').includes(tokenA));

    // The first visit moves the token into the cookie and sends the browser on without it.
    const first = await get(`${linkA.url}&page=2`, { withToken: true });
    assert.equal(first.status, 302, first.body);
    assert.equal(first.location, '/?page=2', 'the same URL without the token');
    assert.ok(!first.location.includes(tokenA));
    assert.match(first.cookie ?? '', /^slipway_share=[\w-]+; HttpOnly; SameSite=Lax; Path=\//);
    const cookie = first.cookie!.split(';')[0];
    const followed = await get(new URL(first.location, linkA.url).href, { cookie });
    assert.equal(followed.status, 200, followed.body);
    assert.equal(followed.body, 'hello /?page=2', 'the token is not passed on to the service');
    assert.equal((await get(linkA.url, { cookie })).status, 200, 'the cookie alone');
    assert.equal((await get(linkA.url)).status, 401, 'no token');
    assert.equal((await get(linkA.url, { token: tokenB })).status, 401, "another environment's token");
    assert.equal((await get(linkB.url, { cookie })).status, 401, "the cookie of another environment's link");

    assert.equal(await webSocketEcho(linkA.url, cookie, 'ping'), 'echo:ping');

    const log = readFileSync(accessLogFile(home, envA.project, envA.env), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status: number; path: string });
    assert.deepEqual(log.map((l) => l.status).slice(0, 6), [302, 200, 200, 401, 401, 101]);
    assert.ok(
      log.every((l) => !l.path.includes(tokenA)),
      'the access log never holds the token',
    );

    // A new link that expires in a second: its token answers 410 once it has passed.
    const short = await cliJson<Link>(['share', '--spec', specFile, '--branch', a, '--expires', '1s'], home);
    await waitFor('the link to expire', async () => (await get(short.url, { withToken: true })).status === 410, {
      timeoutMs: 10_000,
    });
    assert.equal((await get(linkA.url, { cookie })).status, 401, 'the first link was replaced');

    const fresh = await cliJson<Link>(['share', '--spec', specFile, '--branch', a], home);
    assert.equal((await get(fresh.url, { withToken: true })).status, 302);
    assert.equal((await runCli(['down', '--spec', specFile, '--branch', a], home)).code, 0);
    assert.equal((await get(fresh.url, { withToken: true })).status, 404, 'torn down');
  });
  it('opens the gateway to the LAN with --bind 0.0.0.0 (the link carries the host name), keeps that bind for a share without --bind, and takes slipway.share.bind from the settings', async () => {
    const envB = envNames(PROJECT, b);
    const lan = await cliJson<Link>(['share', '--spec', specFile, '--branch', b, '--bind', '0.0.0.0'], home);
    const host = hostname().toLowerCase();
    assert.equal(new URL(lan.url).hostname, `${envB.env}.${envB.project}.${host}`);
    const gw = readGateway(home)!;
    assert.equal(gw.bind, '0.0.0.0');
    const opened = await get(lan.url, { withToken: true });
    assert.equal(opened.status, 302, opened.body);
    assert.equal((await get(lan.url, { cookie: opened.cookie!.split(';')[0] })).status, 200);

    // A share without --bind keeps the running gateway as it is.
    const again = await cliJson<Link>(['share', '--spec', specFile, '--branch', b], home);
    assert.equal(new URL(again.url).hostname, `${envB.env}.${envB.project}.${host}`);
    assert.equal(readGateway(home)!.owner, gw.owner, 'the same gateway process');
    assert.equal(readGateway(home)!.bind, '0.0.0.0');

    // The workspace setting asks for this machine only: the gateway moves back, on the same port.
    mkdirSync(join(dir, '.vscode'), { recursive: true });
    writeFileSync(
      join(dir, '.vscode', 'settings.json'),
      '{\n  // reviewers on this machine only\n  "slipway.share.bind": "127.0.0.1",\n}\n',
    );
    const local = await cliJson<Link>(['share', '--spec', specFile, '--branch', b], home);
    assert.equal(new URL(local.url).hostname, `${envB.env}.${envB.project}.localhost`);
    assert.equal(readGateway(home)!.bind, '127.0.0.1');
    assert.equal(new URL(local.url).port, new URL(lan.url).port);

    // A bad value is refused naming the file, the line and the setting.
    writeFileSync(join(dir, '.vscode', 'settings.json'), '{\n  "slipway.share.bind": "everywhere"\n}\n');
    const bad = await runCli(['share', '--spec', specFile, '--branch', b], home);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /\.vscode\/settings\.json:2: slipway\.share\.bind must be an IP address/);
    rmSync(join(dir, '.vscode'), { recursive: true, force: true });
  });
});
