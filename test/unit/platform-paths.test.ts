// Path lists and file paths are built the platform's way: no ':'-joined PATH, no '/'-joined file paths in the core or the extension.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('paths on every platform', () => {
  const files = ['environments', 'extension'].flatMap((d) => sources(join(ROOT, d)));

  it('joins and splits PATH-like lists with path.delimiter, never a hard-coded ":"', () => {
    const problems: string[] = [];
    for (const f of files) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (/PATH/.test(line) && /\.(join|split)\(\s*['"`]:['"`]\s*\)/.test(line))
            problems.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
          if (/\$\{[^}]*\}:\$\{process\.env\.PATH/.test(line))
            problems.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(problems, []);
  });

  it('builds file paths with path.join, never by gluing "/" to home or state folders', () => {
    const problems: string[] = [];
    const glued =
      /(homedir\(\)|\bhome\b|stateFolder|SLIPWAY_HOME|\.dir\b|Dir\b)\s*\+\s*['"`]\/|\$\{(?:home|homedir\(\)|[a-zA-Z.]*Dir)\}\/[\w.]/;
    for (const f of files) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '');
          if (glued.test(code) && !/https?:\/\//.test(code) && !/\b(hint|message)\b|Error\(/.test(code))
            problems.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(problems, []);
  });
});
