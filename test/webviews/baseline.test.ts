/**
 * The screenshot comparison itself, on images drawn here: a one-pixel shift of a panel-like
 * layout is far over the allowed fraction, the same image is not, and a baseline written as a
 * 256-colour PNG reads back within the threshold.
 */
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { compareImages } from './baseline';
import { palettePng } from './palette-png';

/** A 400x300 "panel": a background, bordered cards with text-like stripes, `shift` px lower. */
function panel(shift: number, width = 400, height = 300): PNG {
  const png = new PNG({ width, height });
  const put = (x: number, y: number, [r, g, b]: number[]) => png.data.set([r!, g!, b!, 255], (y * width + x) * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) put(x, y, [31, 31, 31]);
  for (let card = 0; card < 4; card++) {
    const top = 20 + card * 70 + shift;
    for (let y = top; y < top + 60 && y < height; y++) {
      for (let x = 20; x < 380; x++) {
        const border = y === top || y === top + 59 || x === 20 || x === 379;
        const text = y > top + 10 && y < top + 20 && x > 30 && x < 30 + 80 * (card + 1) && x % 3 !== 0;
        put(x, y, border ? [69, 69, 69] : text ? [204, 204, 204] : [37, 37, 38]);
      }
    }
  }
  return png;
}

describe('webviews: screenshot comparison', () => {
  it('passes the same image, and fails a one-pixel shift by far more than the allowed 0.1%', () => {
    assert.equal(compareImages(panel(0), panel(0)).differing, 0);
    const shifted = compareImages(panel(0), panel(1));
    assert.ok(shifted.ratio > 0.01, `a 1 px shift differs in only ${shifted.differing} pixels (${shifted.ratio})`);
    assert.ok(shifted.sameSize);
  });

  it('fails images of different sizes, whatever their pixels', () => {
    const result = compareImages(panel(0), panel(0, 400, 310));
    assert.equal(result.sameSize, false);
    assert.ok(result.differing >= 400 * 10, `${result.differing}`);
  });

  it('keeps a baseline written as a 256-colour PNG within the threshold of what was shot', () => {
    const shot = panel(0);
    // Anti-aliasing-like ramps: more colours than a palette holds.
    for (let x = 0; x < 400; x++)
      for (let y = 290; y < 300; y++) shot.data.set([x % 256, (x * 3) % 256, 128, 255], (y * 400 + x) * 4);
    const stored = PNG.sync.read(palettePng(shot));
    assert.deepEqual([stored.width, stored.height], [400, 300]);
    const { ratio } = compareImages(stored, shot);
    assert.ok(ratio < 0.001, `the palette changed ${ratio * 100}% of the pixels`);
  });
});
