/** The per-project masking key: 32 random bytes made once under SLIPWAY_HOME/keys (mode 0600), never printed. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DamagedFileError } from '../errors';
import { writeFileAtomically } from '../files';

export function projectKeyPath(home: string, project: string): string {
  return join(home, 'keys', `${project}.masking-key`);
}

/**
 * The project's key, made on first use. Every preview of the project masks alike under it (joins on
 * masked columns match across environments); another project's key gives other values.
 */
export function projectKey(home: string, project: string): Buffer {
  const file = projectKeyPath(home, project);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text === undefined) {
    const key = randomBytes(32);
    writeFileAtomically(file, key.toString('hex') + '\n', 0o600);
    return key;
  }
  if (!/^[0-9a-f]{64}$/.test(text)) {
    throw new DamagedFileError(
      file,
      1,
      'is not a masking key (64 hexadecimal digits)',
      'remove it to make a new key (masked values then change), or restore it from a backup',
    );
  }
  return Buffer.from(text, 'hex');
}
