/** Branches gone upstream, judged on a real git clone from local refs only: deleted, merged (merge commit, fast-forward, squash or rebase), and not a branch just made or partly landed. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultBranchRef, goneBranches } from '../../environments/quotas/merged';

describe('branches gone upstream (local git refs)', function () {
  this.timeout(60_000);
  let scratch: string;
  let origin: string;
  let clone: string;
  const git = (dir: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@slipway.test', '-c', 'user.name=t', ...args], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  const commit = (dir: string, file: string) => {
    writeFileSync(join(dir, file), file);
    git(dir, 'add', file);
    git(dir, 'commit', '-qm', file);
  };

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'slipway-merged-'));
    origin = join(scratch, 'origin');
    clone = join(scratch, 'clone');
    execFileSync('git', ['init', '-q', '-b', 'main', origin]);
    commit(origin, 'a');
    git(origin, 'config', 'receive.denyCurrentBranch', 'ignore');
    execFileSync('git', ['clone', '-q', origin, clone]);
    // feature/merged: own commit, merged into main with a merge commit.
    git(clone, 'checkout', '-qb', 'feature/merged');
    commit(clone, 'm1');
    // feature/ff: own commit, fast-forwarded into main later.
    git(clone, 'checkout', '-q', 'main');
    git(clone, 'checkout', '-qb', 'feature/ff');
    commit(clone, 'f1');
    // feature/open: own commit, not merged.
    git(clone, 'checkout', '-q', 'main');
    git(clone, 'checkout', '-qb', 'feature/open');
    commit(clone, 'o1');
    // feature/pushed-then-deleted: pushed, then deleted on the remote and pruned here.
    git(clone, 'checkout', '-q', 'main');
    git(clone, 'checkout', '-qb', 'feature/pruned');
    commit(clone, 'p1');
    git(clone, 'push', '-q', '-u', 'origin', 'feature/pruned');
    git(origin, 'branch', '-D', 'feature/pruned');
    git(clone, 'fetch', '-q', '--prune');
    git(clone, 'checkout', '-q', 'main');
    git(clone, 'merge', '-q', '--ff-only', 'feature/ff');
    commit(clone, 'b');
    git(clone, 'merge', '-q', '--no-ff', '-m', 'merge', 'feature/merged');
    // feature/squashed: two commits, landed on main as one squashed commit.
    git(clone, 'checkout', '-qb', 'feature/squashed', 'HEAD~1');
    commit(clone, 's1');
    commit(clone, 's2');
    // feature/rebased: one commit, cherry-picked (rebased) onto main.
    git(clone, 'checkout', '-qb', 'feature/rebased', 'HEAD~2');
    commit(clone, 'r1');
    // feature/partly: two commits, only one of them landed on main.
    git(clone, 'checkout', '-qb', 'feature/partly', 'main');
    commit(clone, 'q1');
    commit(clone, 'q2');
    git(clone, 'checkout', '-q', 'main');
    git(clone, 'merge', '-q', '--squash', 'feature/squashed');
    git(clone, 'commit', '-qm', 'squashed');
    git(clone, 'cherry-pick', 'feature/rebased');
    git(clone, 'cherry-pick', 'feature/partly~1');
    // feature/fresh: made from main after all that, no commit of its own; an older main moved on.
    git(clone, 'checkout', '-qb', 'feature/fresh', 'HEAD~1');
    git(clone, 'checkout', '-q', 'main');
    git(clone, 'push', '-q', 'origin', 'main');
    git(clone, 'fetch', '-q');
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('finds the default branch from origin/HEAD, and else from the local branches', async () => {
    assert.equal(await defaultBranchRef(clone), 'origin/main');
    assert.equal(await defaultBranchRef(origin), 'main');
  });

  it('reports deleted and merged branches, never an open one, a fresh one, main or a kept one', async () => {
    const gone = await goneBranches(clone, [
      'main',
      'feature/merged',
      'feature/ff',
      'feature/open',
      'feature/pruned',
      'feature/fresh',
      'feature/squashed',
      'feature/rebased',
      'feature/partly',
      'feature/never-existed',
    ]);
    assert.deepEqual(
      gone.sort((a, b) => a.branch.localeCompare(b.branch)),
      [
        { branch: 'feature/ff', reason: 'merged', into: 'origin/main' },
        { branch: 'feature/merged', reason: 'merged', into: 'origin/main' },
        { branch: 'feature/never-existed', reason: 'deleted' },
        { branch: 'feature/pruned', reason: 'deleted' },
        { branch: 'feature/rebased', reason: 'merged', into: 'origin/main' },
        { branch: 'feature/squashed', reason: 'merged', into: 'origin/main' },
      ],
    );
    const kept = await goneBranches(clone, ['feature/merged'], ['feature/merged']);
    assert.deepEqual(kept, []);
  });

  it('says nothing outside a git work tree', async () => {
    assert.deepEqual(await goneBranches(scratch, ['feature/x']), []);
  });
});
