/** Resource kinds: one table (environments/kinds.ts) for Pulumi types, engine events, drift items and words. */
import assert from 'node:assert/strict';
import { KIND_LABELS, RESOURCE_KINDS, kindLabel, pulumiType, resourceKindOf } from '../../environments/kinds';
import { resourceUrn } from '../../environments/pulumi/fingerprint';
import { describeEvent } from '../../extension/format';

describe('resource kinds', () => {
  it('names each kind by its full Pulumi type, and reads the kind back from it', () => {
    assert.equal(pulumiType('container'), 'pulumi-nodejs:dynamic/slipway:DockerContainer');
    assert.equal(pulumiType('password'), 'pulumi-nodejs:dynamic/slipway:GeneratedPassword');
    for (const kind of RESOURCE_KINDS) assert.equal(resourceKindOf(pulumiType(kind)), kind);
  });

  it('reads the short type of engine events and the kinds of drift items', () => {
    assert.equal(resourceKindOf('DockerContainer'), 'container');
    assert.equal(resourceKindOf('DockerImage'), 'image');
    assert.equal(resourceKindOf('container'), 'container');
    assert.equal(resourceKindOf('network'), 'network');
    assert.equal(resourceKindOf('generatedpassword'), 'password');
    assert.equal(resourceKindOf('GeneratedPassword'), 'password');
    assert.equal(resourceKindOf('password'), 'password');
  });

  it("knows no kind for Pulumi's own resources or other providers", () => {
    assert.equal(resourceKindOf('pulumi:pulumi:Stack'), undefined);
    assert.equal(resourceKindOf('pulumi:providers:docker'), undefined);
    assert.equal(resourceKindOf('docker:index/container:Container'), undefined);
    assert.equal(resourceKindOf('Stack'), undefined);
  });

  it('says each kind in words, and splits other types at their capitals', () => {
    assert.equal(kindLabel('DockerContainer'), 'container');
    assert.equal(kindLabel('generatedpassword'), KIND_LABELS.password);
    assert.equal(kindLabel('pulumi-nodejs:dynamic/slipway:DockerVolume'), 'volume');
    assert.equal(kindLabel('pulumi:pulumi:Stack'), 'stack');
  });

  it('is what URNs and progress lines are made from', () => {
    assert.equal(
      resourceUrn('p', 's', 'web', 'container'),
      'urn:pulumi:s::p::pulumi-nodejs:dynamic/slipway:DockerContainer::web',
    );
    assert.equal(
      resourceUrn('p', 's', 'db-password', 'password'),
      'urn:pulumi:s::p::pulumi-nodejs:dynamic/slipway:GeneratedPassword::db-password',
    );
    assert.equal(
      describeEvent({
        type: 'resource',
        phase: 'started',
        op: 'create',
        kind: 'GeneratedPassword',
        name: 'db-password',
        urn: '',
      }),
      'creating generated password db…',
    );
  });
});
