// Builds the webviews for the browser: one esbuild bundle per app into `<outdir>/<app>.js`, plus
// the codicon font and stylesheet beside them (the webview loads nothing from the network).
// Prints each bundle's size and fails when one is over MAX_BUNDLE_BYTES.
//
//   import { buildWebviews } from '../webviews/build.mjs';
//   await buildWebviews({ outdir: 'dist/webviews', minify: true });
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Keep in step with WEBVIEW_APPS in webviews/protocol.ts. */
export const WEBVIEW_APPS = ['dashboard', 'pipeline', 'drift'];
export const MAX_BUNDLE_BYTES = 300 * 1024;
export const CODICON_FILES = ['codicon.css', 'codicon.ttf'];

/**
 * @param {{ outdir?: string, minify?: boolean, sourcemap?: boolean, log?: (line: string) => void }} [options]
 *   `outdir` is relative to the repository root unless absolute (default `dist/webviews`).
 * @returns {Promise<{ outdir: string, bundles: Array<{ app: string, file: string, bytes: number }> }>}
 */
export async function buildWebviews({
  outdir = 'dist/webviews',
  minify = true,
  sourcemap = false,
  log = (line) => console.log(line),
} = {}) {
  const out = isAbsolute(outdir) ? outdir : join(root, outdir);
  mkdirSync(out, { recursive: true });
  const bundles = [];
  for (const app of WEBVIEW_APPS) {
    const file = join(out, `${app}.js`);
    await build({
      absWorkingDir: root,
      entryPoints: [`webviews/${app}/main.ts`],
      outfile: file,
      bundle: true,
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify,
      sourcemap: sourcemap ? 'linked' : false,
      legalComments: minify ? 'none' : 'inline',
      logLevel: 'warning',
    });
    bundles.push({ app, file, bytes: statSync(file).size });
  }
  const codicons = dirname(require.resolve('@vscode/codicons/dist/codicon.css'));
  for (const name of CODICON_FILES) copyFileSync(join(codicons, name), join(out, name));

  const rel = relative(root, out);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? out : rel;
  for (const b of bundles) {
    const kb = (b.bytes / 1024).toFixed(1);
    log(
      `[webviews] ${join(shown, `${b.app}.js`)}  ${kb} KB${b.bytes > MAX_BUNDLE_BYTES ? `  (over the ${MAX_BUNDLE_BYTES / 1024} KB limit)` : ''}`,
    );
  }
  const over = bundles.filter((b) => b.bytes > MAX_BUNDLE_BYTES);
  if (over.length > 0) {
    throw new Error(
      `Webview bundle${over.length === 1 ? '' : 's'} over ${MAX_BUNDLE_BYTES / 1024} KB: ${over.map((b) => `${b.app}.js (${(b.bytes / 1024).toFixed(1)} KB)`).join(', ')}. ` +
        'Import single components (@vscode-elements/elements/dist/<name>/index.js), not the whole library.',
    );
  }
  return { outdir: out, bundles };
}

// `node webviews/build.mjs [outdir]` builds on its own.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildWebviews({ outdir: process.argv[2] ?? 'dist/webviews' }).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
