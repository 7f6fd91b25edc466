// Which spec file a folder holds: slipway.yaml, else slipway.yml (both are accepted everywhere: CLI, editor, schema association).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The spec file names, in the order they are looked for. */
export const SPEC_FILE_NAMES = ['slipway.yaml', 'slipway.yml'] as const;

/** The spec file of `dir`: the first of SPEC_FILE_NAMES that exists, else slipway.yaml (whose absence the loader then reports). */
export function findSpecFile(dir: string): string {
  for (const name of SPEC_FILE_NAMES) {
    const file = resolve(join(dir, name));
    if (existsSync(file)) return file;
  }
  return resolve(join(dir, SPEC_FILE_NAMES[0]));
}
