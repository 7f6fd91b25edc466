/**
 * Governance rules without an engine: a rollback passes the stage's window gate from the protected
 * branch (an emergency overrides it and is reported), a dirty source is refused with what to do,
 * and the core refuses to change a stage outside the pipeline.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError } from '../../environments/errors';
import { refuseDirty, rollbackWindows } from '../../environments/pipeline/governance';
import { loadSpec } from '../../environments/spec/load';
import { assertStageChange } from '../../environments/stage-guard';

const FROZEN = `version: 1
name: shop
services:
  web:
    image: slipway/busybox:local
pipeline:
  stages:
    - preview
    - name: production
      gates:
        - window: { timezone: UTC, freeze: [{ from: "2026-12-20T00:00", to: "2027-01-02T00:00", reason: year-end freeze }] }
`;

describe('governance rules', () => {
  let repo: string;

  before(() => {
    repo = mkdtempSync(join(tmpdir(), 'slipway-rules-'));
    writeFileSync(join(repo, 'slipway.yaml'), FROZEN);
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repo,
        env: {
          ...process.env,
          GIT_AUTHOR_NAME: 'a',
          GIT_AUTHOR_EMAIL: 'a@x',
          GIT_COMMITTER_NAME: 'a',
          GIT_COMMITTER_EMAIL: 'a@x',
        },
      });
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'spec');
    // The working tree drops the freeze: the protected branch's still holds.
    writeFileSync(join(repo, 'slipway.yaml'), FROZEN.replace(/\n {8}- window: .*\n/, '\n        - health\n'));
  });

  after(() => rmSync(repo, { recursive: true, force: true }));

  it('refuses a rollback inside a freeze of the protected spec, and lets an emergency through with the reason', async () => {
    const spec = await loadSpec(join(repo, 'slipway.yaml'));
    const during = () => new Date('2026-12-24T10:00:00Z');
    await assert.rejects(rollbackWindows(spec, 'production', during, false), (err: unknown) => {
      assert.ok(SlipwayError.is(err, 'gates-failed'));
      assert.match(
        (err as Error).message,
        /Not rolling back production: its window gate \(from main@[0-9a-f]{12}\) does not allow a change now:\n {2}window: .*year-end freeze/,
      );
      assert.match((err as SlipwayError).hint ?? '', /--emergency/);
      return true;
    });
    const reasons = await rollbackWindows(spec, 'production', during, true);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0], /year-end freeze/);
    assert.deepEqual(await rollbackWindows(spec, 'production', () => new Date('2027-01-05T10:00:00Z'), false), []);
  });

  it('refuses a dirty source, naming its commit and what to do', () => {
    const sha = 'c0ffee'.repeat(6) + 'c0ff';
    assert.throws(
      () =>
        refuseDirty({
          kind: 'branch',
          name: 'feature',
          commit: `${sha}+dirty`,
          images: {},
          services: [],
          databases: [],
        }),
      (err: unknown) => {
        assert.ok(SlipwayError.is(err, 'pipeline-invalid'));
        assert.match((err as Error).message, /built from uncommitted changes on top of c0ffeec0ffee/);
        assert.match((err as SlipwayError).hint ?? '', /Commit \(or stash\) the changes/);
        return true;
      },
    );
    assert.doesNotThrow(() =>
      refuseDirty({ kind: 'branch', name: 'feature', commit: sha, images: {}, services: [], databases: [] }),
    );
  });

  it('refuses a change to a stage unless the pipeline makes it', () => {
    assert.throws(
      () => assertStageChange('stage:production', 'reapply', {}),
      (err: unknown) => SlipwayError.is(err, 'policy-refused'),
    );
    assert.doesNotThrow(() => assertStageChange('stage:production', 'reapply', { viaPipeline: true }));
    assert.doesNotThrow(() => assertStageChange('feature/x', 'reapply', {}));
  });
});
