import { execFile } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SlipwayError } from './errors';
import { headBranch } from './git-head';

const run = promisify(execFile);

/** The email of a commit's author (who may not approve their own change), if git knows it. */
export async function commitAuthor(dir: string, commit: string): Promise<string | undefined> {
  try {
    return (await run('git', ['log', '-1', '--format=%ae', commit], { cwd: dir })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Who acts: `git config user.email` in `dir`, else the OS user. */
export async function currentActor(dir: string): Promise<string> {
  try {
    const email = (await run('git', ['config', 'user.email'], { cwd: dir })).stdout.trim();
    if (email) return email;
  } catch {
    // not configured
  }
  return process.env.USER ?? process.env.USERNAME ?? 'unknown';
}

/** The commit checked out in the git work tree that holds `dir`, or undefined outside git. */
export async function currentCommit(dir: string): Promise<string | undefined> {
  try {
    return (await run('git', ['rev-parse', 'HEAD'], { cwd: dir })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The branch a CI job builds, from the CI's own variables (a pull request's source branch before
 * the pushed ref): GitHub Actions, GitLab CI, Buildkite, CircleCI, Bitbucket, Jenkins, Azure
 * Pipelines, Travis CI, Drone. Undefined outside CI. Each entry: the variable, and whether it
 * counts only when set to a branch.
 */
export function ciBranch(env: NodeJS.ProcessEnv = process.env): { branch: string; from: string } | undefined {
  const refsHeads = (v: string) => v.replace(/^refs\/heads\//, '');
  const candidates: Array<[string, (v: string) => string | undefined]> = [
    ['GITHUB_HEAD_REF', (v) => v],
    [
      'GITHUB_REF_NAME',
      (v) => (env.GITHUB_REF_TYPE === 'tag' || (env.GITHUB_REF ?? '').startsWith('refs/pull/') ? undefined : v),
    ],
    ['CI_MERGE_REQUEST_SOURCE_BRANCH_NAME', (v) => v],
    ['CI_COMMIT_BRANCH', (v) => v],
    ['CI_COMMIT_REF_NAME', (v) => (env.CI_COMMIT_TAG ? undefined : v)],
    ['BUILDKITE_BRANCH', (v) => v],
    ['CIRCLE_BRANCH', (v) => v],
    ['BITBUCKET_BRANCH', (v) => v],
    ['CHANGE_BRANCH', (v) => v],
    ['BRANCH_NAME', (v) => v],
    ['GIT_BRANCH', (v) => v.replace(/^origin\//, '')],
    ['SYSTEM_PULLREQUEST_SOURCEBRANCH', refsHeads],
    ['BUILD_SOURCEBRANCH', (v) => (v.startsWith('refs/heads/') ? refsHeads(v) : undefined)],
    ['TRAVIS_PULL_REQUEST_BRANCH', (v) => v],
    ['TRAVIS_BRANCH', (v) => v],
    ['DRONE_SOURCE_BRANCH', (v) => v],
  ];
  for (const [name, pick] of candidates) {
    const value = env[name];
    const branch = value ? pick(value.trim()) : undefined;
    if (branch) return { branch, from: name };
  }
  return undefined;
}

/**
 * The branch checked out in the git work tree that holds `dir`; on a detached HEAD (a CI
 * checkout of a pull request) or outside git, the branch the CI's variables name (`ciBranch`).
 */
export async function currentBranch(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  // HEAD read from its file when it names a branch: `status` and `list` start no git process.
  const head = headBranch(dir);
  if (head) return head;
  let out: string;
  try {
    out = (await run('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: dir })).stdout.trim();
  } catch (err) {
    const ci = ciBranch(env);
    if (ci) return ci.branch;
    throw new SlipwayError(
      'git-branch-unknown',
      `Could not tell the current git branch of ${dir}: it is not in a git work tree (or git is missing), and no CI variable (GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME, ...) names one.`,
      {
        hint: 'Pass the branch explicitly with --branch NAME.',
        cause: err,
      },
    );
  }
  if (!out || out === 'HEAD') {
    const ci = ciBranch(env);
    if (ci) return ci.branch;
    throw new SlipwayError(
      'git-branch-unknown',
      `The git work tree at ${dir} has no branch checked out (detached HEAD), and no CI variable (GITHUB_HEAD_REF, GITHUB_REF_NAME, CI_COMMIT_REF_NAME, ...) names one.`,
      {
        hint: 'Check out a branch, or pass --branch NAME (in CI: --branch "$GITHUB_HEAD_REF" or the like).',
      },
    );
  }
  return out;
}

/** The suffix of a recorded commit when the work tree had uncommitted changes (an environment built from them). */
export const DIRTY_SUFFIX = '+dirty';

/**
 * The commit an environment is built from: `currentCommit`, with `+dirty` when the work tree has
 * changes git would show (modified, staged or untracked files not ignored), since what is built is
 * then no commit at all.
 */
export async function builtCommit(dir: string): Promise<string | undefined> {
  const commit = await currentCommit(dir);
  if (!commit) return undefined;
  try {
    const status = (await run('git', ['status', '--porcelain'], { cwd: dir, maxBuffer: 32 * 1024 * 1024 })).stdout;
    return status.trim() ? commit + DIRTY_SUFFIX : commit;
  } catch {
    return commit;
  }
}

/** The SSH key git signs commits with (`user.signingkey`, a file path), if one is configured. */
export async function signingKey(dir: string): Promise<string | undefined> {
  try {
    const value = (await run('git', ['config', '--get', 'user.signingkey'], { cwd: dir })).stdout.trim();
    if (!value || value.startsWith('key::') || /^[0-9A-F]{8,}$/i.test(value)) return undefined; // a literal key or a GPG key id
    return value.startsWith('~/') ? join(homedir(), value.slice(2)) : value;
  } catch {
    return undefined;
  }
}
