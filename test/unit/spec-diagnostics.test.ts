// The editor's spec diagnostics (extension/diagnostics.ts, around the fake vscode and the real core): single braces warn at their exact range, beside errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useFakeVscode } from './fakes/vscode';

describe('spec diagnostics in the editor', () => {
  let undo: () => void;
  let dir: string;
  let previousCore: string | undefined;
  let specDiagnostics: (
    text: string,
    file: string,
  ) => Array<{
    range: { start: { line: number; character: number }; end: { line: number; character: number } };
    message: string;
    severity: number;
  }>;

  before(async () => {
    undo = useFakeVscode();
    // The real core this time (the fake one has no loader), loaded fresh by the modules below.
    previousCore = process.env.SLIPWAY_CORE;
    process.env.SLIPWAY_CORE = require.resolve('../../extension/core');
    for (const m of ['../../extension/lazy', '../../extension/diagnostics']) delete require.cache[require.resolve(m)];
    ({ specDiagnostics } = (await import('../../extension/diagnostics')) as never);
    dir = mkdtempSync(join(tmpdir(), 'slipway-diag-'));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM slipway/debian:bookworm\n');
  });
  after(() => {
    for (const m of ['../../extension/lazy', '../../extension/diagnostics']) delete require.cache[require.resolve(m)];
    process.env.SLIPWAY_CORE = previousCore;
    undo();
    rmSync(dir, { recursive: true, force: true });
  });

  const spec = (extra = '') =>
    `version: 1\nname: shop\nservices:\n  web:\n    build: .\n    ports: [8080]\n    env:\n      DATABASE_URL: \${databases.db.url}\n${extra}`;

  it('shows a warning on exactly the single-brace text', () => {
    const [d, ...rest] = specDiagnostics(spec(), join(dir, 'slipway.yaml'));
    assert.equal(rest.length, 0);
    assert.equal(d.severity, 1, 'a Warning');
    assert.deepEqual(
      [d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character],
      [7, 20, 7, 39],
    );
    assert.match(d.message, /^services\.web\.env\.DATABASE_URL: "\$\{databases\.db\.url\}" has single braces/);
  });

  it('keeps the warning beside the errors of a spec that does not load', () => {
    const all = specDiagnostics(spec('    health: {}\n'), join(dir, 'slipway.yaml'));
    assert.deepEqual(all.map((d) => d.severity).sort(), [0, 1]);
  });
});
