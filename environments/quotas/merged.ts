// Branches gone upstream, from local git refs only (no fetch): deleted, or merged into the default branch (merge, fast-forward, squash or rebase).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export type GoneReason = 'deleted' | 'merged';

export interface GoneBranch {
  branch: string;
  reason: GoneReason;
  /** The default branch it was merged into (`main`, `origin/main`). */
  into?: string;
}

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run('git', args, { cwd: dir, maxBuffer: 16 * 1024 * 1024 })).stdout.trim();
  } catch {
    return undefined;
  }
}

async function isAncestor(dir: string, a: string, b: string): Promise<boolean> {
  try {
    await run('git', ['merge-base', '--is-ancestor', a, b], { cwd: dir });
    return true;
  } catch {
    return false;
  }
}

/**
 * The default branch as a ref this clone has: `origin/HEAD`'s target, else the local branch
 * `init.defaultBranch` names, else `main` or `master`.
 */
export async function defaultBranchRef(dir: string): Promise<string | undefined> {
  const remoteHead = await git(dir, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD']);
  if (remoteHead) return remoteHead;
  const configured = await git(dir, ['config', '--get', 'init.defaultBranch']);
  for (const name of [configured, 'main', 'master']) {
    if (name && (await git(dir, ['rev-parse', '--verify', '--quiet', `refs/heads/${name}^{commit}`]))) return name;
  }
  return undefined;
}

interface BranchRefs {
  /** Local branches: name → tip, upstream (`origin/x`, or '' for none), whether that upstream ref is gone. */
  local: Map<string, { tip: string; upstream: string; gone: boolean }>;
  /** Remote-tracking branches without their remote's prefix (`feature/x` of `origin/feature/x`) → tip. */
  remote: Map<string, string>;
}

async function branchRefs(dir: string): Promise<BranchRefs> {
  const local = new Map<string, { tip: string; upstream: string; gone: boolean }>();
  const remote = new Map<string, string>();
  const heads = await git(dir, [
    'for-each-ref',
    '--format=%(refname:short)%00%(objectname)%00%(upstream:short)%00%(upstream:track)',
    'refs/heads',
  ]);
  for (const line of heads?.split('\n') ?? []) {
    const [name, tip, upstream, track] = line.split('\0');
    if (name) local.set(name, { tip, upstream: upstream ?? '', gone: (track ?? '').includes('gone') });
  }
  const remotes = await git(dir, ['for-each-ref', '--format=%(refname:short)%00%(objectname)', 'refs/remotes']);
  for (const line of remotes?.split('\n') ?? []) {
    const [name, tip] = line.split('\0');
    const slash = name?.indexOf('/') ?? -1;
    if (slash > 0 && !name.endsWith('/HEAD')) remote.set(name.slice(slash + 1), tip);
  }
  return { local, remote };
}

/** Whether the branch got commits of its own after it was made (its reflog has more than its creation). */
async function hasOwnCommits(dir: string, branch: string, tip: string): Promise<boolean> {
  const log = await git(dir, ['reflog', 'show', '--format=%H', `refs/heads/${branch}`, '--']);
  const shas = log?.split('\n').filter(Boolean) ?? [];
  // Oldest last: where the branch started. It moved since if its tip is another commit.
  return shas.length > 0 && shas[shas.length - 1] !== tip;
}

/** Whether a merge commit on the default branch's first-parent line brought `tip` in (it is in the merged side, not the mainline). */
async function mergedByMergeCommit(dir: string, tip: string, into: string): Promise<boolean> {
  const merges = await git(dir, ['rev-list', '--first-parent', '--merges', '--max-count=500', `${tip}..${into}`]);
  for (const m of merges?.split('\n').filter(Boolean) ?? []) {
    if ((await isAncestor(dir, tip, `${m}^2`)) && !(await isAncestor(dir, tip, `${m}^1`))) return true;
  }
  return false;
}

/**
 * Whether the branch's change reached the default branch without its commits: squashed into one
 * commit, or its commits rebased (cherry-picked) onto it. Judged by patch identity, as `git cherry`
 * does: the branch's whole diff from its merge base, as one commit (an unreferenced object that
 * `git gc` removes), or each of its own commits, has an equal patch on the default branch.
 */
async function mergedByPatch(dir: string, tip: string, into: string): Promise<boolean> {
  const base = await git(dir, ['merge-base', into, tip]);
  if (!base || base === tip) return false;
  const cherry = async (head: string) => (await git(dir, ['cherry', into, head]))?.split('\n').filter(Boolean) ?? ['+'];
  const each = await cherry(tip);
  if (each.length > 0 && each.every((l) => l.startsWith('-'))) return true;
  const tree = await git(dir, ['rev-parse', `${tip}^{tree}`]);
  if (!tree || tree === (await git(dir, ['rev-parse', `${base}^{tree}`]))) return false;
  const squashed = await git(dir, [
    '-c',
    'user.name=slipway',
    '-c',
    'user.email=slipway@localhost',
    'commit-tree',
    tree,
    '-p',
    base,
    '-m',
    'squashed',
  ]);
  if (!squashed) return false;
  const whole = await cherry(squashed);
  return whole.length === 1 && whole[0].startsWith('-');
}

/**
 * Which of `branches` are gone upstream, judged from the clone at `dir` as it is (no fetch):
 * - **deleted**: no local branch and no remote-tracking branch of that name, or a local branch
 *   whose upstream's remote-tracking ref is gone (deleted on the remote and pruned);
 * - **merged**: its tip reached the default branch, by a merge commit whose merged side holds it,
 *   or (a fast-forward) a tip on the default branch that moved since the branch was made, so a
 *   branch just made from the default branch is never taken for a merged one; or its change
 *   landed squashed into one commit, or rebased, on the default branch (equal patches).
 * The default branch itself and `keep` (the checked-out branch) are never reported.
 */
export async function goneBranches(dir: string, branches: string[], keep: string[] = []): Promise<GoneBranch[]> {
  if ((await git(dir, ['rev-parse', '--git-dir'])) === undefined) return [];
  const into = await defaultBranchRef(dir);
  const refs = await branchRefs(dir);
  const defaultName = into?.replace(/^origin\//, '');
  const out: GoneBranch[] = [];
  for (const branch of branches) {
    if (branch === defaultName || keep.includes(branch)) continue;
    const local = refs.local.get(branch);
    const remoteTip = refs.remote.get(branch);
    if ((!local && !remoteTip) || (local?.upstream && local.gone)) {
      out.push({ branch, reason: 'deleted' });
      continue;
    }
    if (!into) continue;
    const tip = local?.tip ?? remoteTip!;
    if (await mergedByMergeCommit(dir, tip, into)) {
      out.push({ branch, reason: 'merged', into });
      continue;
    }
    if (local && (await isAncestor(dir, tip, into)) && (await hasOwnCommits(dir, branch, local.tip))) {
      out.push({ branch, reason: 'merged', into });
      continue;
    }
    if (!(await isAncestor(dir, tip, into)) && (await mergedByPatch(dir, tip, into)))
      out.push({ branch, reason: 'merged', into });
  }
  return out;
}
