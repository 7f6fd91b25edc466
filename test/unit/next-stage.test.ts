/** Where a promotion goes: the one rule (environments/spec/pipeline.ts) the CLI, the pipeline and the editor all use. */
import assert from 'node:assert/strict';
import { nextStage } from '../../environments/spec/pipeline';

describe('nextStage', () => {
  const stages = ['preview', 'staging', 'production'];

  it('takes a branch (in the first stage) to the second stage', () => {
    assert.equal(nextStage(stages), 'staging');
  });

  it('takes a stage to the one after it, one stage at a time', () => {
    assert.equal(nextStage(stages, 'staging'), 'production');
    assert.equal(nextStage(stages, 'preview'), 'staging');
  });

  it('has nowhere to go from the last stage', () => {
    assert.equal(nextStage(stages, 'production'), undefined);
  });

  it('has nowhere to go from a stage the pipeline no longer declares, nor without a pipeline', () => {
    assert.equal(nextStage(stages, 'qa'), undefined);
    assert.equal(nextStage(['preview']), undefined);
    assert.equal(nextStage([]), undefined);
  });
});
