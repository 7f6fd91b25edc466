// The branch checked out in a git work tree, read from its HEAD file (no `git` process), or undefined when only git can tell.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The git folder of the work tree holding `dir`: `.git` itself, or where a `.git` file (a linked worktree, a submodule) points. */
function gitDir(dir: string): string | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const dotGit = join(d, '.git');
    try {
      if (statSync(dotGit).isDirectory()) return dotGit;
      const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
      return m ? resolve(d, m[1].trim()) : undefined;
    } catch {
      // no .git here: look in the parent
    }
    if (dirname(d) === d) return undefined;
  }
}

/**
 * What `git rev-parse --abbrev-ref HEAD` prints when HEAD names a branch, without starting git.
 * Undefined whenever git itself should answer: GIT_DIR or GIT_WORK_TREE set, no git folder found, a
 * detached HEAD, or a HEAD it does not hold as a plain symbolic ref (the reftable format).
 */
export function headBranch(dir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GIT_DIR || env.GIT_WORK_TREE) return undefined;
  const git = gitDir(dir);
  if (!git) return undefined;
  let head: string;
  try {
    head = readFileSync(join(git, 'HEAD'), 'utf8');
  } catch {
    return undefined;
  }
  const m = /^ref: refs\/heads\/(.+)\n?$/.exec(head);
  if (!m || m[1] === '.invalid') return undefined;
  return m[1];
}
