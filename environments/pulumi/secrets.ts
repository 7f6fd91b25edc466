/** Checks a secrets passphrase against a stack already in a file backend, as Pulumi checks it: before a new stack is made with it, and before `down` removes what a stack holds. */
import { createDecipheriv, createHash, pbkdf2 } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileBackendStacks } from '../paths';

/** The passphrase provider's state held by one stack file of the file backend, if it holds one. */
function stackSalt(root: string, stack: string): string | undefined {
  try {
    const data = JSON.parse(readFileSync(join(root, `${stack}.json`), 'utf8')) as {
      checkpoint?: { latest?: { secrets_providers?: { type?: string; state?: { salt?: string } } } };
    };
    const provider = data.checkpoint?.latest?.secrets_providers;
    return provider?.type === 'passphrase' && provider.state?.salt ? provider.state.salt : undefined;
  } catch {
    return undefined; // gzipped, missing, or not readable
  }
}

const stacksRoot = (backendUrl: string) => join(backendUrl.slice('file://'.length), '.pulumi', 'stacks');

/**
 * The passphrase provider's state of one stack in the file backend: `v1:<salt>:v1:<nonce>:<sealed>`,
 * where `sealed` is the word "pulumi" encrypted (AES-256-GCM) with the key the passphrase and the
 * salt derive (PBKDF2-SHA256, 1,000,000 rounds). Undefined when no stack holds one.
 */
function someStackSalt(backendUrl: string): string | undefined {
  for (const stack of fileBackendStacks(backendUrl)) {
    const salt = stackSalt(stacksRoot(backendUrl), stack);
    if (salt) return salt;
  }
  return undefined;
}

/** Whether `passphrase` opens a passphrase provider's state; undefined when the state is not one. */
async function opens(passphrase: string, state: string | undefined): Promise<boolean | undefined> {
  const parts = state?.split(':');
  if (!parts || parts.length !== 5 || parts[0] !== 'v1' || parts[2] !== 'v1') return undefined;
  const salt = Buffer.from(parts[1], 'base64');
  const nonce = Buffer.from(parts[3], 'base64');
  const sealed = Buffer.from(parts[4], 'base64');
  const key = await new Promise<Buffer>((resolve, reject) =>
    pbkdf2(passphrase, salt, 1_000_000, 32, 'sha256', (err, k) => (err ? reject(err) : resolve(k))),
  );
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]).toString(
      'utf8',
    );
    return plain === 'pulumi';
  } catch {
    return false;
  }
}

/**
 * False when a stack of the file backend was encrypted with another passphrase: Pulumi would
 * make a new stack with this one without a word, and the backend would then hold stacks that no
 * one passphrase opens. True when it fits, or when there is nothing to check it against.
 */
export async function passphraseFitsBackend(passphrase: string, backendUrl: string): Promise<boolean> {
  if (!backendUrl.startsWith('file://')) return true;
  return (await opens(passphrase, someStackSalt(backendUrl))) ?? true;
}

/**
 * Passphrase provider states that this process saw opened, each with its passphrase (hashed):
 * a warm stack worker derives a stack's key once (about 0.2 s of CPU), or not at all when a run
 * of Pulumi on that stack has already succeeded. Held in memory only.
 */
const opened = new Set<string>();
const openedKey = (passphrase: string, state: string) =>
  createHash('sha256').update(state).update('\0').update(passphrase).digest('hex');

/**
 * Whether `passphrase` opens the secrets of the stack `stack` (`project/stack`) of a file backend;
 * undefined when that cannot be told here (another backend, no such stack, or another provider).
 */
export async function passphraseOpensStack(
  passphrase: string,
  backendUrl: string,
  stack: string,
): Promise<boolean | undefined> {
  if (!backendUrl.startsWith('file://')) return undefined;
  const state = stackSalt(stacksRoot(backendUrl), stack);
  if (!state) return undefined;
  if (opened.has(openedKey(passphrase, state))) return true;
  const fits = await opens(passphrase, state);
  if (fits) opened.add(openedKey(passphrase, state));
  return fits;
}

/** Notes that a run of Pulumi on the stack `stack` of a file backend opened its secrets with `passphrase`. */
export function notePassphraseOpened(passphrase: string, backendUrl: string, stack: string): void {
  if (!backendUrl.startsWith('file://')) return;
  const state = stackSalt(stacksRoot(backendUrl), stack);
  if (state) opened.add(openedKey(passphrase, state));
}
