/** Keeps build contexts and Dockerfiles inside the repository that holds the spec (symlinks followed). */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The git top-level of `dir` (the nearest folder holding `.git`); undefined outside a repository.
 * The boundary guards against a spec that arrives with a repository (a pull request, a clone):
 * a spec a user writes in a scratch folder builds from wherever it names, as `docker build` does.
 */
export function repositoryRoot(dir: string): string | undefined {
  const start = realOrSelf(resolve(dir));
  for (let at = start; ; at = dirname(at)) {
    if (existsSync(resolve(at, '.git'))) return at;
    if (dirname(at) === at) return undefined;
  }
}

/** A message when `path` (the resolved spec `value`) lands outside `root`, symlinks followed; else undefined. */
export function outsideRoot(value: string, path: string, root: string, what: string): string | undefined {
  if (isAbsolute(value)) {
    return `${what} "${value}" is an absolute path; use a path relative to the spec, inside the repository ${root}`;
  }
  const real = realOrSelf(path);
  if (isInside(real, root)) return undefined;
  const via = real === resolve(path) ? '' : ` (through a symbolic link, to ${real})`;
  return `${what} "${value}" resolves outside the repository ${root}${via}; a build may only read files inside it`;
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** The path with every symbolic link resolved; the nearest existing ancestor's, when it does not exist. */
function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : resolve(realOrSelf(parent), relative(parent, path));
  }
}
