import assert from 'node:assert/strict';
import { binaryCopyFits, decodeField, encodeField } from '../../environments/data/copy-format';
import { maskThrough } from './mask-stream';
import { MaskingKey } from '../../environments/data/keyed';
import type { Transformer } from '../../environments/data/policy';
import { RowMasker, type Cell, type MaskedColumn } from '../../environments/data/transformers';

const KEY = new MaskingKey('project-key-0123456789');
const keep: Transformer = { kind: 'keep', reviewed: false };
const fake = (f: string): Transformer => ({ kind: 'fake', fake: f as 'email' });
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A field of the binary format: a kept column's opaque bytes, or a text value. */
type Field = Buffer | Cell;

/** The binary COPY stream of `rows` (header with `extension` bytes, rows, trailer unless `cut`). */
function binaryCopy(rows: Field[][], extension = Buffer.alloc(0), cut = false): Buffer {
  const parts: Buffer[] = [SIGNATURE, Buffer.from([0, 0, 0, 0]), Buffer.alloc(4), extension];
  parts[2].writeInt32BE(extension.length);
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    for (const f of row) {
      const length = Buffer.alloc(4);
      const bytes = f === null ? undefined : Buffer.isBuffer(f) ? f : Buffer.from(f, 'utf8');
      length.writeInt32BE(bytes ? bytes.length : -1);
      parts.push(length, ...(bytes ? [bytes] : []));
    }
  }
  if (!cut) parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

/** Reads a binary COPY stream back: its header's extension, rows (each field's bytes, or null) and whether it ended with the trailer. */
function readBinary(data: Buffer): { extension: Buffer; rows: Array<Array<Buffer | null>>; trailer: boolean } {
  assert.deepEqual(data.subarray(0, 11), SIGNATURE);
  const size = data.readInt32BE(15);
  const extension = data.subarray(19, 19 + size);
  const rows: Array<Array<Buffer | null>> = [];
  let p = 19 + size;
  while (p < data.length) {
    const count = data.readInt16BE(p);
    p += 2;
    if (count === -1) {
      assert.equal(p, data.length, 'bytes after the trailer');
      return { extension, rows, trailer: true };
    }
    const row: Array<Buffer | null> = [];
    for (let i = 0; i < count; i++) {
      const length = data.readInt32BE(p);
      p += 4;
      row.push(length < 0 ? null : data.subarray(p, p + length));
      p += Math.max(0, length);
    }
    rows.push(row);
  }
  return { extension, rows, trailer: false };
}

/** `data` cut into pieces of `size` bytes, as a socket may deliver it. */
const pieces = (data: Buffer, size: number) =>
  Array.from({ length: Math.ceil(data.length / size) }, (_, i) => data.subarray(i * size, (i + 1) * size));

const column = (name: string, transformer: Transformer, unique = false): MaskedColumn => ({
  name,
  type: 'text',
  transformer,
  unique,
});

/** Values that test the formats' edges: escapes in COPY text, non-ASCII, empty, NULL, long. */
const VALUES: Cell[] = [
  'Ada Lovelace',
  'ada@example.com',
  'tab\there',
  'new\nline',
  'back\\slash',
  '\\N',
  'Zoë Ångström',
  '日本語',
  '',
  null,
  'x'.repeat(300),
  '+44 7700 900123',
];

describe('masking in COPY binary format', () => {
  const int8 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(n));
    return b;
  };
  const rows = (n: number): Field[][] =>
    Array.from({ length: n }, (_, i) => [
      int8(i),
      VALUES[i % VALUES.length],
      VALUES[(i * 7 + 3) % VALUES.length],
      `person${i % 50}@mail.test`,
      VALUES[(i * 5 + 1) % VALUES.length],
      i % 9 === 0 ? null : Buffer.from([i & 0xff, 0x0a, 0x09, 0x5c]),
    ]);

  /** What the same rows give through COPY text: the masker's cells, decoded again from the text output. */
  async function viaText(columns: MaskedColumn[], input: Field[][], sets: string[][] = []): Promise<Cell[][]> {
    const text = input
      .map((r) => r.map((f) => (Buffer.isBuffer(f) ? f.toString('hex') : encodeField(f))).join('\t') + '\n')
      .join('');
    const out = await maskThrough(new RowMasker('t', columns, KEY, sets), [Buffer.from(text)]);
    return out
      .toString()
      .split('\n')
      .slice(0, -1)
      .map((line) => line.split('\t').map(decodeField));
  }

  async function check(columns: MaskedColumn[], sets: string[][] = []): Promise<void> {
    const input = rows(400);
    const want = await viaText(columns, input, sets);
    const data = binaryCopy(input, Buffer.from('ext!'));
    for (const size of [data.length, 7, 64, 1000]) {
      const got = readBinary(await maskThrough(new RowMasker('t', columns, KEY, sets, 'binary'), pieces(data, size)));
      assert.equal(got.trailer, true);
      assert.deepEqual(got.extension, Buffer.from('ext!'), 'the header passes on whole');
      assert.equal(got.rows.length, input.length);
      got.rows.forEach((row, r) =>
        row.forEach((field, c) => {
          const source = input[r][c];
          if (columns[c].transformer.kind === 'keep') {
            // Kept fields cross as their bytes, whatever the type.
            assert.deepEqual(field, Buffer.isBuffer(source) ? source : source === null ? null : Buffer.from(source));
          } else
            assert.equal(field === null ? null : field.toString('utf8'), want[r][c], `row ${r}, ${columns[c].name}`);
        }),
      );
    }
  }

  it('masks cell by cell (memo, batched digests) to the same values as COPY text, with kept fields as bytes, in any chunking', async () => {
    await check([
      column('id', keep),
      column('name', fake('firstName')),
      column('last', fake('lastName')),
      column('email', fake('email')),
      column('phone', fake('phone')),
      column('blob', keep),
    ]);
    await check([
      column('id', keep),
      column('h', { kind: 'hash', length: 12 } as Transformer),
      column('s', { kind: 'scramble' } as Transformer),
      column('r', { kind: 'redact', value: 'REDACTED' } as Transformer),
      column('n', { kind: 'null' } as Transformer),
      column('blob', keep),
    ]);
  });

  it('masks whole rows (a template, a unique column) to the same values as COPY text', async () => {
    await check([
      column('id', keep),
      column('first', fake('firstName')),
      column('last', fake('lastName')),
      column('email', fake('email'), true),
      column('display', { kind: 'template', template: '{first} {last}' } as Transformer),
      column('blob', keep),
    ]);
  });

  it('passes a table kept whole through unchanged, counting its rows', async () => {
    const columns = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => column(n, keep));
    const data = binaryCopy(rows(300));
    let counted = 0;
    const out = await maskThrough(
      new RowMasker('t', columns, KEY, [], 'binary'),
      pieces(data, 333),
      (n) => (counted += n),
    );
    assert.deepEqual(out, data);
    assert.equal(counted, 300);
  });

  it('ends a stream cut short of its trailer with one; refuses a stream cut mid-row, a row of the wrong width, and text', async () => {
    const columns = [column('id', keep), column('name', fake('firstName'))];
    const binary = () => new RowMasker('t', columns, KEY, [], 'binary');
    const two: Field[][] = [
      [Buffer.from([1]), 'Ada'],
      [Buffer.from([2]), null],
    ];
    const cut = readBinary(await maskThrough(binary(), [binaryCopy(two, undefined, true)]));
    assert.equal(cut.trailer, true);
    assert.equal(cut.rows.length, 2);
    const whole = binaryCopy(two);
    await assert.rejects(maskThrough(binary(), [whole.subarray(0, whole.length - 5)]), /ended in the middle of a row/);
    await assert.rejects(
      maskThrough(binary(), [binaryCopy([[Buffer.from([1])]])]),
      /has 1 fields where the table has 2/,
    );
    await assert.rejects(maskThrough(binary(), [Buffer.from('1\tAda\n'.repeat(5))]), /not in the binary format/);
  });

  it('fits a table whose columns are built-in and whose read columns are text', () => {
    const cols = (types: Array<[string, boolean]>) => types.map(([type, binary]) => ({ type, binary }));
    assert.equal(
      binaryCopyFits(
        cols([
          ['int8', true],
          ['text', true],
          ['date', true],
        ]),
        [false, true, false],
      ),
      true,
    );
    assert.equal(
      binaryCopyFits(
        cols([
          ['int8', true],
          ['varchar', true],
          ['bpchar', true],
        ]),
        [false, true, true],
      ),
      true,
    );
    assert.equal(
      binaryCopyFits(
        cols([
          ['int8', true],
          ['text', true],
        ]),
        [true, true],
      ),
      false,
      'a number read by a template',
    );
    assert.equal(
      binaryCopyFits(
        cols([
          ['int8', true],
          ['date', true],
        ]),
        [false, true],
      ),
      false,
      'a masked date',
    );
    assert.equal(
      binaryCopyFits(
        cols([
          ['text', true],
          ['mood', false],
        ]),
        [true, false],
      ),
      false,
      'a user-defined type',
    );
    assert.equal(binaryCopyFits([{ type: 'text' }], [true]), false, 'a catalog without the flag');
  });
});
