/** Opening a stack without per-operation CLI calls: the file backend's own answer to "does the stack exist", and the CLI at the checked version. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { version as sdkVersion } from '@pulumi/pulumi/package.json';
import { checkedPulumiCommand, fileBackendHasStack } from '../../environments/pulumi/stack-handle';

describe('stack handle', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-stack-handle-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const url = () => `file://${dir}`;

  it('answers from a project-scoped file backend, and says nothing for another backend or layout', () => {
    assert.equal(fileBackendHasStack('postgres://u:p@127.0.0.1:5432/db', 'slipway-shop', 'main-1a2b3c'), undefined);
    assert.equal(fileBackendHasStack(url(), 'slipway-shop', 'main-1a2b3c'), false, 'no backend yet: Pulumi makes one');
    mkdirSync(join(dir, '.pulumi', 'stacks', 'slipway-shop'), { recursive: true });
    assert.equal(fileBackendHasStack(url(), 'slipway-shop', 'main-1a2b3c'), undefined, 'no meta.yaml: a legacy layout');
    writeFileSync(join(dir, '.pulumi', 'meta.yaml'), 'version: 1\n');
    assert.equal(fileBackendHasStack(url(), 'slipway-shop', 'main-1a2b3c'), false);
    writeFileSync(join(dir, '.pulumi', 'stacks', 'slipway-shop', 'main-1a2b3c.json'), '{}');
    assert.equal(fileBackendHasStack(url(), 'slipway-shop', 'main-1a2b3c'), true);
    writeFileSync(join(dir, '.pulumi', 'stacks', 'slipway-shop', 'other-4d5e6f.json.gz'), '');
    assert.equal(fileBackendHasStack(url(), 'slipway-shop', 'other-4d5e6f'), true, 'a gzipped state counts');
    assert.equal(fileBackendHasStack(url(), 'slipway-other', 'main-1a2b3c'), false, 'stacks are per project');
    writeFileSync(join(dir, '.pulumi', 'meta.yaml'), 'version: 2\n');
    assert.equal(fileBackendHasStack(url(), 'slipway-shop', 'main-1a2b3c'), undefined, 'a layout it does not know');
  });

  it("names the CLI under the root at the SDK's version, running nothing", () => {
    const cmd = checkedPulumiCommand(join(dir, 'pulumi'));
    assert.equal(cmd.command, join(dir, 'pulumi', 'bin', 'pulumi'));
    assert.equal(cmd.version?.toString(), sdkVersion);
    assert.ok(cmd.version && cmd.version.compare('3.0.0') > 0, "the SDK's own version checks can compare it");
  });
});
