/**
 * An untrusted folder's `.vscode/settings.json` cannot choose where Slipway connects or keeps
 * its state: those settings are restricted configurations, read from user settings only.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('workspace trust: restricted settings', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));

  it('restricts every setting that names an endpoint, a backend or a state folder', () => {
    const restricted: string[] = pkg.capabilities.untrustedWorkspaces.restrictedConfigurations;
    const declared = Object.keys(pkg.contributes.configuration.properties ?? {});
    for (const key of ['slipway.engine.dockerHost', 'slipway.pulumi.backendUrl', 'slipway.stateFolder']) {
      assert.ok(declared.includes(key), `${key} is a declared setting`);
      assert.ok(restricted.includes(key), `${key} is restricted in untrusted workspaces`);
    }
    for (const key of restricted) assert.ok(declared.includes(key), `restricted ${key} is a declared setting`);
  });
});
