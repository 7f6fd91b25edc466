/**
 * In-host integration tests: these run inside VS Code's extension host (see index.ts) with the
 * real `vscode` API, against the Slipway extension that host loaded. They check what only the
 * host can tell: activation by the `workspaceContains` event, the commands and settings the
 * manifest declares, and spec diagnostics as the user types.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SlipwayApi } from '../../extension/extension';
import { waitFor as waitUntil } from '../wait';

const EXTENSION_ID = 'slipway.slipway';
/** A spec with one mistake on line 6 (a port that is not a number). */
const BROKEN_SPEC = [
  'version: 1',
  'name: broken',
  'services:',
  '  web:',
  '    image: slipway/busybox:local',
  '    ports: [eighty]',
  '',
].join('\n');

interface Manifest {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, { default?: unknown }> };
    yamlValidation: { fileMatch: string[]; url: string }[];
  };
}

/** Polls `probe` until it returns a value other than undefined, or fails with `what` after `timeoutMs` (test/wait.ts). */
async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  return (await waitUntil(what, probe, { timeoutMs })) as T;
}

const slipwayDiagnostics = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'slipway');

describe('Slipway in the extension host', function () {
  this.timeout(60_000);

  let extension: vscode.Extension<unknown>;
  let manifest: Manifest;

  before(function () {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(
      found,
      `the extension ${EXTENSION_ID} is not loaded in this host (${vscode.extensions.all.length} extensions are)`,
    );
    extension = found;
    manifest = extension.packageJSON as Manifest;
  });

  it('activates by itself on a workspace that contains slipway.yaml', async function () {
    const specs = await vscode.workspace.findFiles('**/slipway.yaml', '**/node_modules/**', 1);
    assert.equal(specs.length, 1, 'the test workspace has no slipway.yaml: open a folder that has one');
    // Nothing here calls activate(): the manifest's workspaceContains event must have done it.
    await waitFor('the extension to activate', () => (extension.isActive ? true : undefined));
  });

  it('registers every slipway.* command that package.json declares', async function () {
    const declared = manifest.contributes.commands.map((c) => c.command);
    assert.ok(declared.length >= 10, `only ${declared.length} commands are declared`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = declared.filter((id) => !registered.has(id));
    assert.deepEqual(
      missing,
      [],
      `declared in package.json but not registered by the extension: ${missing.join(', ')}`,
    );
  });

  it('contributes every setting with the default package.json declares', function () {
    const properties = manifest.contributes.configuration.properties;
    for (const [key, schema] of Object.entries(properties)) {
      const inspected = vscode.workspace.getConfiguration().inspect(key);
      assert.ok(inspected, `the setting ${key} is not known to VS Code`);
      assert.deepEqual(inspected.defaultValue, schema.default, `the default of ${key}`);
    }
    const slipway = vscode.workspace.getConfiguration('slipway');
    assert.equal(slipway.inspect('autoPreview')?.defaultValue, false, 'autoPreview is off by default');
    assert.equal(slipway.inspect('ttl.default')?.defaultValue, '72h');
    assert.equal(slipway.inspect('quotas.maxEnvironmentsPerUser')?.defaultValue, 5);
    assert.equal(slipway.inspect('quotas.memoryPerEnvironment')?.defaultValue, '2g');
    assert.equal(slipway.inspect('ttl.warnBefore')?.defaultValue, '15m');
    assert.equal(slipway.inspect('gc.interval')?.defaultValue, '10m');
    assert.equal(slipway.inspect('gc.mergedBranches')?.defaultValue, 'offer');
  });

  it('ships the JSON Schema it contributes through yamlValidation', function () {
    const [validation] = manifest.contributes.yamlValidation;
    assert.ok(validation?.fileMatch.includes('slipway.yaml'), 'no yamlValidation entry for slipway.yaml');
    const schema = vscode.Uri.joinPath(extension.extensionUri, validation.url);
    assert.ok(existsSync(schema.fsPath), `the schema ${validation.url} is not in the extension (${schema.fsPath})`);
  });

  describe('spec diagnostics', function () {
    let dir: string;

    before(function () {
      dir = mkdtempSync(join(tmpdir(), 'slipway-inhost-'));
    });

    after(async function () {
      // Revert first: closing an edited file would ask whether to save it.
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      rmSync(dir, { recursive: true, force: true });
    });

    it('shows a broken slipway.yaml at the line the core names, and clears it once the text is fixed', async function () {
      const file = join(dir, 'slipway.yaml');
      writeFileSync(file, BROKEN_SPEC);
      const uri = vscode.Uri.file(file);
      const doc = await vscode.workspace.openTextDocument(uri);
      const editor = await vscode.window.showTextDocument(doc);

      const [problem] = await waitFor('a slipway diagnostic on the broken spec', () => {
        const found = slipwayDiagnostics(uri);
        return found.length ? found : undefined;
      });
      assert.equal(problem.range.start.line, 5, `the problem is on line ${problem.range.start.line + 1}, not line 6`);
      assert.equal(problem.range.start.character, 12, 'the problem starts at column 13 (the port)');
      assert.equal(problem.severity, vscode.DiagnosticSeverity.Error);
      assert.match(problem.message, /^services\.web\.ports\[0\]: /);

      // Fixed in the editor, not on disk: the diagnostics follow the text as it is typed.
      const line = doc.lineAt(5);
      const ok = await editor.edit((e) => e.replace(line.range, line.text.replace('eighty', '80')));
      assert.ok(ok, 'the edit was not applied');
      await waitFor('the slipway diagnostic to clear', () => (slipwayDiagnostics(uri).length === 0 ? true : undefined));
    });
  });

  it('follows a branch switch in the view and the status bar', async function () {
    const api = (await extension.activate()) as SlipwayApi;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(folder, 'no workspace folder is open');
    await waitFor(
      'the git extension to report the branch main',
      () => (api.currentBranch() === 'main' ? true : undefined),
      30_000,
    );
    await waitFor('the status bar item to offer a preview of main', () =>
      api.statusText()?.includes('Preview') ? true : undefined,
    );
    const branch = `feature/switch-${Date.now().toString(36)}`;
    execFileSync('git', ['checkout', '-q', '-b', branch], { cwd: folder });
    try {
      await waitFor(
        `the extension to follow the switch to ${branch}`,
        () => (api.currentBranch() === branch ? true : undefined),
        30_000,
      );
      // No environment for the new branch: the status bar offers to preview it, and nothing was previewed (autoPreview is off).
      assert.match(api.statusText() ?? '', /Preview/);
      assert.deepEqual(
        api.environments().filter((e) => e.branch === branch),
        [],
      );
    } finally {
      execFileSync('git', ['checkout', '-q', 'main'], { cwd: folder });
    }
  });
});
