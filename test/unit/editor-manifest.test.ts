// The extension's manifest keeps the editor's conventions: localized strings, icon, license, workspace kind, one spec-file rule, a schema with a stable $id.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { SPEC_FILE_NAMES, findSpecFile } from '../../environments/spec/discover';
import { main } from '../../environments/cli/main';

const ROOT = join(__dirname, '..', '..');
const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');
const pkg = JSON.parse(read('package.json')) as Record<string, unknown> & {
  contributes: Record<string, unknown> & { yamlValidation: Array<{ fileMatch: string[]; url: string }> };
  activationEvents: string[];
};

/** Every string of the manifest at a user-facing key, with its path. */
function userFacing(value: unknown, path: string[] = []): Array<[string, string]> {
  const shown =
    /^(displayName|description|markdownDescription|title|shortTitle|category|name|contextualTitle|contents|patternErrorMessage|enumDescriptions|markdownEnumDescriptions|deprecationMessage|altText)$/;
  if (typeof value === 'string') return path.some((p) => shown.test(p)) ? [[path.join('.'), value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => userFacing(v, [...path, String(i)]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => userFacing(v, [...path, k]));
  return [];
}

describe('the extension manifest', () => {
  it('takes every user-facing string from package.nls.json, and every key it names exists there', () => {
    const nls = JSON.parse(read('package.nls.json')) as Record<string, string>;
    const strings = [
      ...userFacing({ displayName: pkg.displayName, description: pkg.description }),
      ...userFacing(pkg.contributes, ['contributes']),
      ...userFacing(pkg.capabilities, ['capabilities']),
    ];
    assert.ok(strings.length > 40);
    for (const [where, text] of strings) {
      const m = /^%([^%]+)%$/.exec(text);
      assert.ok(m, `${where} is written in the manifest ("${text.slice(0, 60)}"), not taken from package.nls.json`);
      assert.ok(typeof nls[m[1]] === 'string' && nls[m[1]].length > 0, `${where}: package.nls.json has no "${m[1]}"`);
    }
    assert.match(read('.vscodeignore'), /^!package\.nls\.json$/m, 'the VSIX carries package.nls.json');
  });

  it('has an icon (a 128x128 PNG in the VSIX), a LICENSE matching its license, and runs on the workspace side', () => {
    assert.equal(pkg.icon, 'extension/media/icon.png');
    const icon = PNG.sync.read(readFileSync(join(ROOT, String(pkg.icon))));
    assert.deepEqual([icon.width, icon.height], [128, 128]);
    assert.equal(pkg.license, 'MIT');
    assert.match(read('LICENSE'), /^MIT License\n/);
    assert.deepEqual(pkg.extensionKind, ['workspace']);
  });

  it('accepts slipway.yml wherever it accepts slipway.yaml: activation, schema association, the editor, the CLI', async () => {
    for (const name of SPEC_FILE_NAMES) {
      assert.ok(pkg.activationEvents.includes(`workspaceContains:**/${name}`), `activation on ${name}`);
      assert.ok(
        pkg.contributes.yamlValidation.some((v) => v.fileMatch.includes(name)),
        `schema association for ${name}`,
      );
    }
    assert.match(read('extension/slipway.ts'), /findFiles\('\*\*\/slipway\.\{yaml,yml\}'/);
    assert.match(read('extension/slipway.ts'), /createFileSystemWatcher\('\*\*\/slipway\.\{yaml,yml\}'/);
    assert.match(read('extension/diagnostics.ts'), /slipway\\\.ya\?ml\$/);
    const dir = mkdtempSync(join(tmpdir(), 'slipway-yml-'));
    const cwd = process.cwd();
    try {
      assert.equal(findSpecFile(dir), join(dir, 'slipway.yaml'), 'neither: the loader reports slipway.yaml missing');
      writeFileSync(join(dir, 'slipway.yml'), 'version: 1\nname: yml-only\nservices: {}\n');
      assert.equal(findSpecFile(dir), join(dir, 'slipway.yml'));
      process.chdir(dir);
      let err = '';
      const code = await main(['url', '--branch', 'x', '--json'], { out: () => undefined, err: (t) => (err += t) });
      assert.doesNotMatch(err, /No Slipway spec found/, 'the CLI found slipway.yml by itself');
      assert.notEqual(code, 0);
      writeFileSync(join(dir, 'slipway.yaml'), 'version: 1\nname: yaml-wins\nservices: {}\n');
      assert.equal(findSpecFile(dir), join(dir, 'slipway.yaml'), 'slipway.yaml first when both exist');
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the spec schema a stable $id, and recommends the YAML extension for `# yaml-language-server: $schema=`', () => {
    const schema = JSON.parse(read('environments/spec/slipway.schema.json')) as { $id?: string };
    assert.equal(
      schema.$id,
      'https://raw.githubusercontent.com/slipway-dev/slipway/main/environments/spec/slipway.schema.json',
    );
    const rec = JSON.parse(read('.vscode/extensions.json')) as { recommendations: string[] };
    assert.ok(rec.recommendations.includes('redhat.vscode-yaml'));
    assert.ok(read('README.md').includes(`# yaml-language-server: $schema=${schema.$id}`));
    assert.ok(existsSync(join(ROOT, 'extension/media/walkthrough/spec.md')));
  });
});
