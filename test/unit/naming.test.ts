import assert from 'node:assert/strict';
import { envName, envNames, slugify, stateId } from '../../environments/naming';

describe('naming', () => {
  it('folds accents and punctuation into a lower-case slug', () => {
    assert.equal(slugify('feature/Ünïcode & spaces', 40), 'feature-unicode-spaces');
    assert.equal(slugify('--Already--Clean--', 40), 'already-clean');
    assert.equal(slugify('a'.repeat(50), 10), 'a'.repeat(10));
    assert.equal(slugify('abc-defgh', 4), 'abc', 'never ends on a dash after truncation');
  });

  it('gives every branch a valid Docker and Pulumi name', () => {
    for (const branch of [
      'main',
      'feature/Ünïcode & spaces',
      '日本語',
      '"><img src=x>',
      'x'.repeat(250),
      '---',
      'Release/1.2.3',
    ]) {
      const name = envName(branch);
      assert.match(name, /^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$/, `${branch} -> ${name}`);
      const names = envNames('Shop App', branch);
      assert.match(names.network, /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
      assert.match(names.container('web'), /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/);
      assert.match(names.imageTag('web'), /^[a-z0-9/-]+:[a-z0-9-]+$/);
      assert.match(names.stack, /^[a-zA-Z0-9_.-]+$/);
    }
  });

  it('keeps branches that slug alike apart', () => {
    const alike = ['Feature/A', 'feature-a', 'feature_a', 'FEATURE A', 'feature/a'];
    const names = new Set(alike.map(envName));
    assert.equal(names.size, alike.length);
    assert.ok([...names].every((n) => n.startsWith('feature-a-')));
  });

  it('is stable: the same branch always gets the same name', () => {
    assert.equal(envName('feature/x'), envName('feature/x'));
    assert.equal(envName('main'), 'main-' + envName('main').slice(-6));
  });

  it('labels every object with project, env, branch and owning state', () => {
    const names = envNames('shop', 'feature/Ünïcode & spaces', stateId('file:///tmp/a'));
    assert.deepEqual(Object.keys(names.labels).sort(), [
      'dev.slipway.branch',
      'dev.slipway.env',
      'dev.slipway.project',
      'dev.slipway.state',
    ]);
    assert.equal(names.labels['dev.slipway.branch'], 'feature/Ünïcode & spaces');
    assert.notEqual(stateId('file:///tmp/a'), stateId('file:///tmp/b'));
  });
});
