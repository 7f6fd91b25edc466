/**
 * Screenshot comparison against the PNGs committed in test/webviews/baselines/: pixelmatch with
 * a per-pixel colour threshold, and a small fraction of pixels allowed to differ (font rendering,
 * and the baselines' 256-colour palette).
 * `SLIPWAY_UPDATE_BASELINES=1` writes the baselines from this run instead of comparing.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import type { Page } from 'playwright-core';
import { ROOT, SCREENSHOTS } from './harness';
import { palettePng } from './palette-png';

export const BASELINES = join(ROOT, 'test', 'webviews', 'baselines');

export interface MatchOptions {
  /** pixelmatch's per-pixel colour distance (0 to 1) under which two pixels are the same. */
  threshold?: number;
  /** The fraction of the image's pixels that may differ beyond `threshold`. */
  maxDiffRatio?: number;
}

const DEFAULTS: Required<MatchOptions> = { threshold: 0.1, maxDiffRatio: 0.001 };

declare const document: { fonts: { ready: Promise<unknown> } };

/**
 * Takes a screenshot of the panel (the viewport, at its size) with animations stopped at their
 * first frame and the caret hidden, writes it into test-output/screenshots/, and compares it
 * with the committed baseline of the same name. Fails with the paths of the actual and diff
 * images when more than `maxDiffRatio` of the pixels differ, or the sizes differ.
 */
export async function expectScreenshot(page: Page, name: string, opts: MatchOptions = {}): Promise<string> {
  const { threshold, maxDiffRatio } = { ...DEFAULTS, ...opts };
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  const shot = await page.screenshot({ animations: 'disabled', caret: 'hide', scale: 'css' });
  const actualPath = join(SCREENSHOTS, name);
  writeFileSync(actualPath, shot);

  const baselinePath = join(BASELINES, name);
  if (process.env.SLIPWAY_UPDATE_BASELINES === '1') {
    mkdirSync(BASELINES, { recursive: true });
    writeFileSync(baselinePath, palettePng(PNG.sync.read(shot)));
    return actualPath;
  }
  if (!existsSync(baselinePath)) {
    throw new Error(
      `No baseline for ${name} (${relative(ROOT, baselinePath)}); this run's screenshot is ${actualPath}. If it looks right, run the webview tests with SLIPWAY_UPDATE_BASELINES=1 and commit the new baseline.`,
    );
  }

  const expected = PNG.sync.read(readFileSync(baselinePath));
  const actual = PNG.sync.read(shot);
  const { differing, ratio, sameSize, diff } = compareImages(expected, actual, threshold);
  if (sameSize && ratio <= maxDiffRatio) return actualPath;

  const stem = join(SCREENSHOTS, name.replace(/\.png$/, ''));
  const kept = `${stem}.actual.png`;
  const diffPath = `${stem}.diff.png`;
  writeFileSync(kept, shot);
  writeFileSync(diffPath, PNG.sync.write(diff));
  const size = sameSize
    ? ''
    : ` The size changed: ${expected.width}x${expected.height} in the baseline, ${actual.width}x${actual.height} now.`;
  throw new Error(
    `${name} differs from its baseline: ${differing} pixels (${(ratio * 100).toFixed(3)}%, at most ${(maxDiffRatio * 100).toFixed(3)}% allowed).${size}\n` +
      `  baseline: ${baselinePath}\n  actual:   ${kept}\n  diff:     ${diffPath}\n` +
      `If the change is intended, run the webview tests with SLIPWAY_UPDATE_BASELINES=1 and commit the new baseline.`,
  );
}

/**
 * How two images differ: the pixels over `threshold`, their fraction, and a diff image (differing
 * pixels red over a faded copy). Different sizes are compared on a canvas of the larger size,
 * where what only one image covers differs.
 */
export function compareImages(
  expected: PNG,
  actual: PNG,
  threshold = DEFAULTS.threshold,
): { differing: number; ratio: number; sameSize: boolean; diff: PNG } {
  const width = Math.max(expected.width, actual.width);
  const height = Math.max(expected.height, actual.height);
  const diff = new PNG({ width, height });
  const differing = pixelmatch(
    onCanvas(expected, width, height),
    onCanvas(actual, width, height),
    diff.data,
    width,
    height,
    { threshold },
  );
  return {
    differing,
    ratio: differing / (width * height),
    sameSize: expected.width === actual.width && expected.height === actual.height,
    diff,
  };
}

/** The image's RGBA pixels at the top left of a width x height canvas; the rest opaque magenta. */
function onCanvas(png: PNG, width: number, height: number): Uint8Array {
  if (png.width === width && png.height === height) return png.data;
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < out.length; i += 4) out.set([255, 0, 255, 255], i);
  for (let y = 0; y < png.height; y++)
    out.set(png.data.subarray(y * png.width * 4, (y + 1) * png.width * 4), y * width * 4);
  return out;
}
