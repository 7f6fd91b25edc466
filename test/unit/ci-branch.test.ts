/** The branch of a CI checkout: git first, else the CI's own variables on a detached HEAD (a real git repository). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../environments/errors';
import { ciBranch, currentBranch } from '../../environments/git';

describe('the branch of a CI checkout', () => {
  let dir: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-ci-'));
    git('init', '-q', '-b', 'main');
    writeFileSync(join(dir, 'f'), 'x');
    git('add', 'f');
    git('commit', '-qm', 'one');
    git('checkout', '-q', '-b', 'feature/login');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the checked-out branch over any CI variable', async () => {
    assert.equal(await currentBranch(dir, { GITHUB_HEAD_REF: 'other' }), 'feature/login');
  });

  it('on a detached HEAD takes GITHUB_HEAD_REF, then GITLAB and other CIs, and fails naming them when none is set', async () => {
    git('checkout', '-q', '--detach');
    try {
      assert.equal(
        await currentBranch(dir, {
          GITHUB_HEAD_REF: 'feature/login',
          GITHUB_REF_NAME: '7/merge',
          GITHUB_REF: 'refs/pull/7/merge',
        }),
        'feature/login',
      );
      assert.equal(
        await currentBranch(dir, {
          GITHUB_HEAD_REF: '',
          GITHUB_REF_NAME: 'main',
          GITHUB_REF: 'refs/heads/main',
          GITHUB_REF_TYPE: 'branch',
        }),
        'main',
      );
      assert.equal(
        await currentBranch(dir, { CI_COMMIT_REF_NAME: 'fix/db', CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: 'fix/mr' }),
        'fix/mr',
      );
      assert.equal(await currentBranch(dir, { CI_COMMIT_REF_NAME: 'fix/db' }), 'fix/db');
      await assert.rejects(
        currentBranch(dir, {}),
        (err: unknown) =>
          SlipwayError.is(err, 'git-branch-unknown') &&
          /detached HEAD\), and no CI variable \(GITHUB_HEAD_REF/.test(err.message),
      );
    } finally {
      git('checkout', '-q', 'feature/login');
    }
  });

  it('reads the variables of other CIs, never a pull-request ref or a tag as a branch', () => {
    assert.deepEqual(ciBranch({ GIT_BRANCH: 'origin/dev' }), { branch: 'dev', from: 'GIT_BRANCH' });
    assert.deepEqual(ciBranch({ BUILD_SOURCEBRANCH: 'refs/heads/rel/1' }), {
      branch: 'rel/1',
      from: 'BUILD_SOURCEBRANCH',
    });
    assert.equal(ciBranch({ GITHUB_REF_NAME: '7/merge', GITHUB_REF: 'refs/pull/7/merge' }), undefined);
    assert.equal(ciBranch({ GITHUB_REF_NAME: 'v1.0', GITHUB_REF_TYPE: 'tag' }), undefined);
    assert.equal(ciBranch({ CI_COMMIT_REF_NAME: 'v1.0', CI_COMMIT_TAG: 'v1.0' }), undefined);
    assert.equal(ciBranch({}), undefined);
  });
});
