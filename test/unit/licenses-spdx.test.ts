/** The licenses gate's policy with SPDX semantics: -only, -or-later and + differ; OR needs one branch, AND all. */
import assert from 'node:assert/strict';
import { LicensePolicy } from '../../environments/pipeline/gates/licenses';

describe('licenses policy (SPDX)', () => {
  it('tells GPL-2.0-only, GPL-2.0-or-later and GPL-2.0+ apart on a deny list', () => {
    const denyOnly = new LicensePolicy([], ['GPL-2.0-only']);
    assert.equal(denyOnly.problem('GPL-2.0-only'), 'denied');
    // Under -or-later (or +) the user may pick GPL-3.0, which is not denied.
    assert.equal(denyOnly.problem('GPL-2.0-or-later'), undefined);
    assert.equal(denyOnly.problem('GPL-2.0+'), undefined);

    const denyLater = new LicensePolicy([], ['GPL-2.0-or-later']);
    assert.equal(denyLater.problem('GPL-2.0-only'), 'denied');
    assert.equal(denyLater.problem('GPL-2.0-or-later'), 'denied');
    assert.equal(denyLater.problem('GPL-2.0+'), 'denied');
    assert.equal(denyLater.problem('GPL-3.0-only'), 'denied');
    assert.equal(denyLater.problem('LGPL-2.1-only'), undefined);
  });

  it('tells them apart on an allow list', () => {
    const allow3 = new LicensePolicy(['GPL-3.0-only'], []);
    assert.equal(allow3.problem('GPL-2.0-only'), 'not allowed');
    assert.equal(allow3.problem('GPL-2.0-or-later'), undefined);
    assert.equal(allow3.problem('GPL-2.0+'), undefined);

    const allow2Only = new LicensePolicy(['GPL-2.0-only'], []);
    assert.equal(allow2Only.problem('GPL-2.0-only'), undefined);
    assert.equal(allow2Only.problem('GPL-3.0-only'), 'not allowed');

    const allow2Later = new LicensePolicy(['GPL-2.0-or-later'], []);
    assert.equal(allow2Later.problem('GPL-3.0-only'), undefined);
    assert.equal(allow2Later.problem('GPL-2.0+'), undefined);
    assert.equal(allow2Later.problem('GPL-1.0-only'), 'not allowed');
  });

  it('allows MIT OR GPL-3.0-only when any branch is allowed, and MIT AND GPL-3.0-only only when both are', () => {
    const mit = new LicensePolicy(['MIT'], []);
    assert.equal(mit.problem('MIT OR GPL-3.0-only'), undefined);
    assert.equal(mit.problem('MIT AND GPL-3.0-only'), 'not allowed');
    assert.equal(new LicensePolicy(['MIT', 'GPL-3.0-only'], []).problem('MIT AND GPL-3.0-only'), undefined);

    const noGpl3 = new LicensePolicy([], ['GPL-3.0-only']);
    assert.equal(noGpl3.problem('MIT OR GPL-3.0-only'), undefined);
    assert.equal(noGpl3.problem('MIT AND GPL-3.0-only'), 'denied');
    assert.equal(noGpl3.problem('(MIT OR Apache-2.0) AND (GPL-3.0-only OR BSD-2-Clause)'), undefined);
  });

  it('reads ids and operators without case, and text that is no SPDX expression as itself', () => {
    const policy = new LicensePolicy(['MIT', 'Apache-2.0', 'SEE LICENSE IN LICENSE.md'], ['Proprietary']);
    assert.equal(policy.problem('mit or apache-2.0'), undefined);
    assert.equal(policy.problem('SEE LICENSE IN LICENSE.md'), undefined);
    assert.equal(policy.problem('UNLICENSED'), 'not allowed');
    assert.equal(policy.problem('proprietary'), 'denied');
    assert.equal(new LicensePolicy([], []).problem('MIT AND ('), undefined);
  });
});
