/** SSH signatures through the user's own `ssh-keygen -Y` (sign, find-principals, verify), as git signs commits. */
import { execFile, type ExecFileException } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../errors';

/** The namespace of an approval signature: a signature made for anything else never verifies as one. */
export const APPROVAL_NAMESPACE = 'slipway-approval';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function sshKeygen(args: string[], input: string, env?: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'ssh-keygen',
      args,
      { encoding: 'utf8', timeout: 30_000, env: env ?? process.env },
      (err: ExecFileException | null, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(
            new SlipwayError('operation-failed', `Could not run ssh-keygen: ${err.message}`, {
              hint: 'Install OpenSSH 8.2 or later (the ssh-keygen that signs git commits), then try again.',
              cause: err,
            }),
          );
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
    // ssh-keygen may exit before reading its input (a signature it rejects at once).
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** Runs `fn` with a private scratch folder, removed afterwards. */
function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-sig-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

/**
 * Signs `message` with `key`: a private key file, or a public key file whose private half the
 * ssh-agent holds (as git's `user.signingkey`). Returns the armored signature.
 */
export async function sshSign(message: string, key: string, namespace = APPROVAL_NAMESPACE): Promise<string> {
  const r = await sshKeygen(['-Y', 'sign', '-q', '-n', namespace, '-f', key], message);
  if (r.code !== 0 || !r.stdout.includes('BEGIN SSH SIGNATURE')) {
    throw new SlipwayError(
      'operation-failed',
      `ssh-keygen could not sign with ${key}: ${r.stderr.trim() || `exit ${r.code}`}`,
      {
        hint: 'Pass a private key you hold with --key FILE (an encrypted one needs its passphrase in ssh-agent: ssh-add FILE), or add your key to ssh-agent.',
      },
    );
  }
  return r.stdout;
}

/** The first public key the ssh-agent holds, written to `dir`; undefined when no agent answers. */
async function agentKey(dir: string): Promise<string | undefined> {
  if (!process.env.SSH_AUTH_SOCK) return undefined;
  const r = await new Promise<Ran>((resolve) =>
    execFile('ssh-add', ['-L'], { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  const first =
    r.code === 0 ? r.stdout.split('\n').find((l) => l.startsWith('ssh-') || l.startsWith('ecdsa-')) : undefined;
  if (!first) return undefined;
  const file = join(dir, 'agent.pub');
  writeFileSync(file, first + '\n');
  return file;
}

/** Signs with `key` when given, else with the ssh-agent's first key. */
export async function signApproval(message: string, key?: string): Promise<string> {
  if (key) return sshSign(message, key);
  return withScratch(async (dir) => {
    const pub = await agentKey(dir);
    if (!pub) {
      throw new SlipwayError(
        'operation-failed',
        'No key to sign the approval with: no --key FILE was given and no ssh-agent holds a key.',
        {
          hint: 'Pass your SSH private key with --key ~/.ssh/id_ed25519, or add it to ssh-agent (ssh-add). Its public key must be listed in the allowed_signers file the pipeline names.',
        },
      );
    }
    return sshSign(message, pub);
  });
}

export type SignatureCheck = { valid: true; principal: string } | { valid: false; problem: string };

/**
 * Checks `signature` over `message` against `allowedSigners` (the file's text): the principal is
 * the one the signing key is listed under, never one the signer claims.
 */
export async function verifySignature(
  message: string,
  signature: string,
  allowedSigners: string,
  namespace = APPROVAL_NAMESPACE,
): Promise<SignatureCheck> {
  if (!signature.includes('BEGIN SSH SIGNATURE')) return { valid: false, problem: 'not an SSH signature' };
  return withScratch(async (dir) => {
    const signers = join(dir, 'allowed_signers');
    const sig = join(dir, 'message.sig');
    writeFileSync(signers, allowedSigners);
    writeFileSync(sig, signature);
    const found = await sshKeygen(['-Y', 'find-principals', '-s', sig, '-f', signers], '');
    const principals =
      found.code === 0
        ? found.stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
        : [];
    if (principals.length === 0) return { valid: false, problem: 'signed by a key that is not in allowed_signers' };
    for (const principal of principals) {
      const r = await sshKeygen(['-Y', 'verify', '-f', signers, '-I', principal, '-n', namespace, '-s', sig], message);
      if (r.code === 0) return { valid: true, principal };
    }
    return { valid: false, problem: `the signature by ${principals.join(', ')} does not verify over this statement` };
  });
}
