/** Writes an RGBA image as a 256-colour PNG, the form the screenshot baselines are committed in. */
import { crc32, deflateSync } from 'node:zlib';
import type { PNG } from 'pngjs';

/**
 * The image's 256 most frequent colours form the palette; any other colour (a few anti-aliased
 * text pixels) takes its nearest palette colour. This keeps a baseline at about 40% of the RGBA
 * PNG's size while the comparison's per-pixel threshold treats nearly all rounded pixels as
 * equal (a few dozen per screenshot remain, well under the allowed fraction). Alpha is dropped:
 * screenshots are opaque.
 */
export function palettePng(png: PNG): Buffer {
  const { width, height, data } = png;
  const rgb = (i: number) => (data[i * 4]! << 16) | (data[i * 4 + 1]! << 8) | data[i * 4 + 2]!;
  const counts = new Map<number, number>();
  for (let i = 0; i < width * height; i++) counts.set(rgb(i), (counts.get(rgb(i)) ?? 0) + 1);
  const palette = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 256)
    .map(([c]) => c);
  const index = new Map(palette.map((c, i) => [c, i]));
  const nearest = (c: number): number => {
    let best = 0;
    let bestDistance = Infinity;
    palette.forEach((p, i) => {
      const dr = (c >> 16) - (p >> 16);
      const dg = ((c >> 8) & 255) - ((p >> 8) & 255);
      const db = (c & 255) - (p & 255);
      const distance = 2 * dr * dr + 4 * dg * dg + db * db; // weighted like the eye: green most
      if (distance < bestDistance) [best, bestDistance] = [i, distance];
    });
    return best;
  };
  const raw = Buffer.alloc((width + 1) * height); // each row: filter byte 0, then one index per pixel
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const c = rgb(y * width + x);
      let i = index.get(c);
      if (i === undefined) index.set(c, (i = nearest(c)));
      raw[y * (width + 1) + 1 + x] = i;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 3; // colour type: indexed
  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((c, i) => plte.set([c >> 16, (c >> 8) & 255, c & 255], i * 3));
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('PLTE', plte),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}
