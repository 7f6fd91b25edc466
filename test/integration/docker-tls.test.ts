/**
 * A stage's tcp:// endpoint with `tls: { certPath }`, end to end: the spec's certificate folder
 * reaches the real engine through a mutual-TLS front (on 127.0.0.1, in front of the local
 * socket, with a CA, server and client certificate made by openssl for this test); without the
 * client certificate, or over plain HTTP, the same port refuses.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect as connectUnix, type Server } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { connectDocker } from '../../environments/docker/engine';
import { loadSpec } from '../../environments/spec/load';
import { removeDir, requireEngines, tempHome } from './helpers';
import { makeCertificates } from './tls-certs';

describe("a stage's tcp:// endpoint with TLS (real engine behind mutual TLS)", function () {
  this.timeout(120_000);
  let dir: string;
  let front: Server;
  let port: number;

  before(async () => {
    await requireEngines();
    dir = tempHome('tls');
    const { server } = makeCertificates(dir);
    // Only clients with a certificate from the CA get through to the engine's socket.
    front = createTlsServer({ ...server, requestCert: true, rejectUnauthorized: true }, (client) => {
      const engine = connectUnix('/var/run/docker.sock');
      client.pipe(engine).pipe(client);
      const close = () => {
        client.destroy();
        engine.destroy();
      };
      client.on('error', close);
      engine.on('error', close);
    });
    front.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    port = (front.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
    if (dir) removeDir(dir);
  });

  async function stageEndpoint(tls: string): Promise<string> {
    const file = join(dir, 'slipway.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: tlscheck',
        'services:',
        '  web: { image: slipway/busybox:local }',
        'pipeline:',
        '  stages:',
        '    - preview',
        '    - name: lab',
        `      dockerHost: tcp://127.0.0.1:${port}`,
        `      tls: ${tls}`,
        '',
      ].join('\n'),
    );
    const endpoint = (await loadSpec(file)).pipeline?.stages[1].dockerHost;
    assert.ok(endpoint);
    return endpoint;
  }

  it('reaches the engine with the certificate folder the stage names (relative to slipway.yaml)', async () => {
    const endpoint = await stageEndpoint('{ certPath: certs/lab }');
    assert.match(endpoint, /^tcp:\/\/127\.0\.0\.1:\d+\?tlscacert=/);
    const info = await connectDocker(endpoint).info();
    assert.equal(info.ID, (await connectDocker('unix:///var/run/docker.sock').info()).ID);
  });

  it('names the three files the same way ({ ca, cert, key })', async () => {
    const endpoint = await stageEndpoint(
      '{ ca: certs/lab/ca.pem, cert: certs/lab/client.pem, key: certs/lab/client-key.pem }',
    );
    assert.ok((await connectDocker(endpoint).version()).ApiVersion);
  });

  it('gets nothing from that port over plain HTTP (tls: false) or with a certificate the engine does not trust', async () => {
    // Refused by the connection itself, not by a file Slipway could not read (which would prove nothing).
    const byTheWire = (e: unknown) => !/ENOENT|cannot be read/.test(String((e as Error)?.message));
    await assert.rejects(connectDocker(await stageEndpoint('false')).version(), byTheWire);
    // A client certificate signed by another CA: the handshake fails.
    const other = join(dir, 'other');
    makeCertificates(other);
    const endpoint = await stageEndpoint(
      `{ ca: certs/lab/ca.pem, cert: ${join(other, 'certs', 'lab', 'cert.pem')}, key: ${join(other, 'certs', 'lab', 'key.pem')} }`,
    );
    await assert.rejects(connectDocker(endpoint).version(), byTheWire);
  });
});
