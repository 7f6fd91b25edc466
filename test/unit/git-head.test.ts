/** The branch read from a work tree's HEAD file answers as `git rev-parse --abbrev-ref HEAD` does, and leaves every other case to git (a real git repository). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headBranch } from '../../environments/git-head';

describe("the branch from a work tree's HEAD file", () => {
  let dir: string;
  let repo: string;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd,
      encoding: 'utf8',
    }).trim();
  const gitSays = (cwd: string) => git(cwd, 'rev-parse', '--abbrev-ref', 'HEAD');
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-head-'));
    repo = join(dir, 'repo');
    mkdirSync(join(repo, 'app', 'web'), { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(join(repo, 'app', 'web', 'f'), 'x');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    git(repo, 'checkout', '-q', '-b', 'feature/login');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names the branch git names, from the root and from a folder inside', () => {
    assert.equal(headBranch(repo, {}), 'feature/login');
    assert.equal(headBranch(join(repo, 'app', 'web'), {}), gitSays(join(repo, 'app', 'web')));
  });

  it("follows a linked worktree's .git file to its own HEAD", () => {
    const wt = join(dir, 'wt');
    git(repo, 'worktree', 'add', '-q', '-b', 'other', wt);
    assert.equal(headBranch(wt, {}), 'other');
    assert.equal(headBranch(wt, {}), gitSays(wt));
    assert.equal(headBranch(repo, {}), 'feature/login');
  });

  it('leaves a detached HEAD, GIT_DIR and a folder outside git to git', () => {
    const detached = join(dir, 'detached');
    git(repo, 'worktree', 'add', '-q', '--detach', detached);
    assert.equal(gitSays(detached), 'HEAD');
    assert.equal(headBranch(detached, {}), undefined);
    assert.equal(headBranch(repo, { GIT_DIR: join(repo, '.git') }), undefined);
    const outside = mkdtempSync(join(tmpdir(), 'slipway-nogit-'));
    try {
      assert.equal(headBranch(outside, {}), undefined);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
