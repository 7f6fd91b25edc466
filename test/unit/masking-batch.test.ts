import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { decodeField, encodeField } from '../../environments/data/copy-format';
import { BatchHmac } from '../../environments/data/hmac-batch';
import { maskThrough } from './mask-stream';
import { MaskingKey } from '../../environments/data/keyed';
import type { Transformer } from '../../environments/data/policy';
import { RowMasker, type MaskedColumn } from '../../environments/data/transformers';

const KEY = new MaskingKey('project-key-0123456789');
const keep: Transformer = { kind: 'keep', reviewed: false };
const fake = (f: string): Transformer => ({ kind: 'fake', fake: f as 'email' });

const through = async (masker: RowMasker, chunks: Buffer[]) => (await maskThrough(masker, chunks)).toString();

function expected(masker: RowMasker, lines: string[]): string {
  return lines.map((l) => masker.mask(l.split('\t').map(decodeField)).map(encodeField).join('\t') + '\n').join('');
}

/** Runs `fn` with masking's batched digests turned off (SLIPWAY_MASK_BATCH=0), as on a runtime without WebAssembly SIMD. */
async function unbatched<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.SLIPWAY_MASK_BATCH;
  process.env.SLIPWAY_MASK_BATCH = '0';
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.SLIPWAY_MASK_BATCH;
    else process.env.SLIPWAY_MASK_BATCH = before;
  }
}

describe('masking digests computed four at a time', () => {
  it('runs here: this Node has WebAssembly SIMD, so the batch is what masking uses', () => {
    assert.ok(BatchHmac.create(Buffer.from('project-key-0123456789')), 'BatchHmac.create returned undefined');
    assert.ok(KEY.batch());
  });

  it('gives HMAC-SHA256 byte for byte, for every one-block length, key length and batch size, growing past its first page', () => {
    for (const keyLength of [16, 32, 64, 65, 100]) {
      const key = randomBytes(keyLength);
      const batch = BatchHmac.create(key) as BatchHmac;
      for (const count of [1, 3, 4, 5, 991, 992, 993, 4000]) {
        batch.clear();
        const messages: Array<{ prefix: Buffer; data: Buffer; from: number; to: number; m: number }> = [];
        for (let i = 0; i < count; i++) {
          const prefix = Buffer.from(['', 'p', 'fake:email\x000\x00', 'x'.repeat(40)][i % 4], 'latin1');
          const data = randomBytes(64);
          const from = i % 5;
          const to = from + Math.min(55 - prefix.length, (i * 7) % 56);
          messages.push({ prefix, data, from, to, m: batch.add(prefix, data, from, to) });
        }
        assert.equal(batch.size, count);
        batch.run();
        const out = Buffer.alloc(32);
        for (const { prefix, data, from, to, m } of messages) {
          assert.ok(m >= 0);
          batch.digest(m, out);
          const want = createHmac('sha256', key)
            .update(Buffer.concat([prefix, data.subarray(from, to)]))
            .digest('hex');
          assert.equal(
            out.toString('hex'),
            want,
            `key ${keyLength} bytes, ${count} messages, message of ${to - from + prefix.length} bytes`,
          );
        }
      }
      // A message past one block is not taken: the caller hashes it alone.
      assert.equal(batch.add(Buffer.from('fake:email\x000\x00'), randomBytes(60), 0, 44), -1);
    }
  });

  const columns: MaskedColumn[] = [
    { name: 'id', type: 'int4', transformer: keep, unique: false },
    { name: 'first', type: 'text', transformer: fake('firstName'), unique: false },
    { name: 'last', type: 'text', transformer: fake('lastName'), unique: false },
    { name: 'email', type: 'text', transformer: fake('email'), unique: false },
    { name: 'phone', type: 'text', transformer: fake('phone'), unique: false },
    { name: 'city', type: 'text', transformer: fake('city'), unique: false },
  ];

  it('masks a stream the same batched and one by one: escapes, NULLs, non-ASCII, values past one block, repeats', async () => {
    const lines = Array.from({ length: 30_000 }, (_, i) =>
      [
        String(i),
        i % 11 === 0 ? '\\N' : i % 13 === 0 ? `Zoë${i % 5}` : `First${i % 50}`,
        i % 37 === 0 ? `O\\\\Brien${i % 3}` : `Last${i}`,
        i % 17 === 0
          ? `a\\tb${i % 7}@x.test`
          : i % 19 === 0
            ? `${'long'.repeat(12)}${i}@x.test`
            : `person${i}@mail.test`,
        `+44 ${i % 997}`,
        `City${i % 100}`,
      ].join('\t'),
    );
    const input = Buffer.from(lines.join('\n') + '\n');
    const want = expected(new RowMasker('t', columns, KEY), lines);
    const chunks: Buffer[] = [];
    for (let at = 0; at < input.length; at += 65_537) chunks.push(input.subarray(at, at + 65_537));
    assert.equal(await through(new RowMasker('t', columns, KEY), chunks), want);
    assert.equal(await unbatched(() => through(new RowMasker('t', columns, KEY), chunks)), want);
  });

  it('does not copy a memo entry that the memo dropped within the same chunk (its bytes filled up and it started again)', async () => {
    // Chunk 1 remembers a few first names. Chunk 2 finds them, then brings enough long distinct
    // first names to use up the memo's bytes (it empties and refills, over the first entries),
    // then the same few names again: found in the memo before the chunk's outputs were written,
    // their entries are gone by the time they are.
    const row = (i: number, first: string) => [String(i), first, 'L', 'e@x.test', '+1', 'C'].join('\t');
    const few = Array.from({ length: 100 }, (_, i) => row(i, `Few${i}`));
    const long = Array.from({ length: 70_000 }, (_, i) => row(i, `${'n'.repeat(240)}${i}`));
    const chunk1 = Buffer.from(few.join('\n') + '\n');
    const chunk2 = Buffer.from([...few, ...long, ...few].join('\n') + '\n');
    const lines = [...few, ...few, ...long, ...few];
    const want = expected(new RowMasker('t', columns, KEY), lines);
    assert.equal(await through(new RowMasker('t', columns, KEY), [chunk1, chunk2]), want);
  });
});
