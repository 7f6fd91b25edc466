// Draws the extension's icon (extension/media/icon.png, 128x128): a ramp running into water with a hull on it, on a rounded square.
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

const S = 128;
const png = new PNG({ width: S, height: S });
const inRoundedSquare = (x, y, r = 22) => {
  const cx = Math.min(Math.max(x, r), S - 1 - r);
  const cy = Math.min(Math.max(y, r), S - 1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
};
for (let y = 0; y < S; y++) {
  for (let x = 0; x < S; x++) {
    let c = [0, 0, 0, 0];
    if (inRoundedSquare(x, y)) {
      c = [22, 64, 120, 255]; // deep blue
      if (y > 92) c = [38, 120, 190, 255]; // water
      const ramp = 100 - (x - 14) * 0.45; // the slipway: a slope down to the water
      if (x >= 14 && x <= 118 && y >= ramp && y <= ramp + 7) c = [230, 236, 242, 255];
      // the hull resting on the ramp
      const hullTop = 62 - (x - 40) * 0.45;
      const hullBottom = 78 - (x - 40) * 0.45;
      const bow = Math.abs(x - 60) <= 24 - Math.max(0, (y - hullTop) * 0.6);
      if (x >= 36 && x <= 84 && y >= hullTop && y <= hullBottom && bow) c = [244, 140, 40, 255];
    }
    png.data.set(c, (y * S + x) * 4);
  }
}
writeFileSync(new URL('../extension/media/icon.png', import.meta.url), PNG.sync.write(png));
