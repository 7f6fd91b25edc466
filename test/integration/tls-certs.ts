/** Test certificates made by openssl: a CA, a server certificate for 127.0.0.1 and a client certificate, in the folder layout `docker` expects. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Under `dir/certs/lab`: a CA, a server certificate for 127.0.0.1 (or the addresses given) and a client certificate, as `docker` expects them in a folder. */
export function makeCertificates(
  dir: string,
  addresses = ['127.0.0.1'],
): { server: { key: string; cert: string; ca: string } } {
  const certs = join(dir, 'certs', 'lab');
  mkdirSync(certs, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=slipway test CA',
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
    ],
    certs,
  );
  writeFileSync(
    join(certs, 'server.ext'),
    `subjectAltName=${addresses.map((a) => `IP:${a}`).join(',')}\nextendedKeyUsage=serverAuth\n`,
  );
  writeFileSync(join(certs, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', `/CN=${addresses[0]}`],
    ['client', '/CN=slipway test client'],
  ]) {
    openssl(
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        subject,
        '-keyout',
        `${name}-key.pem`,
        '-out',
        `${name}.csr`,
      ],
      certs,
    );
    openssl(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-days',
        '1',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.pem`,
      ],
      certs,
    );
  }
  // The folder layout of DOCKER_CERT_PATH: ca.pem, cert.pem, key.pem (the client's).
  writeFileSync(join(certs, 'cert.pem'), readFileSync(join(certs, 'client.pem')));
  writeFileSync(join(certs, 'key.pem'), readFileSync(join(certs, 'client-key.pem')));
  const read = (f: string) => readFileSync(join(certs, f), 'utf8');
  return { server: { key: read('server-key.pem'), cert: read('server.pem'), ca: read('ca.pem') } };
}
