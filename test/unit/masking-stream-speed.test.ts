import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { decodeField, encodeField } from '../../environments/data/copy-format';
import { fakeWriter } from '../../environments/data/fake-bytes';
import { picked, type PickedKind } from '../../environments/data/fake-picks';
import { KeyedSha256 } from '../../environments/data/hmac-sha256';
import { maskThrough } from './mask-stream';
import { MaskingKey } from '../../environments/data/keyed';
import { ByteMemo, memoized } from '../../environments/data/memo';
import type { Transformer } from '../../environments/data/policy';
import { RowMasker, compileTransformer, type MaskedColumn } from '../../environments/data/transformers';

const KEY = new MaskingKey('project-key-0123456789');
const keep: Transformer = { kind: 'keep', reviewed: false };

const through = async (masker: RowMasker, chunks: Buffer[]) => (await maskThrough(masker, chunks)).toString();

/** What the stream must print for `lines`: each row decoded, masked by `RowMasker.mask`, encoded. */
function expected(masker: RowMasker, lines: string[]): string {
  return lines.map((l) => masker.mask(l.split('\t').map(decodeField)).map(encodeField).join('\t') + '\n').join('');
}

describe('masking at speed: the same outputs as the plain definitions', () => {
  it('the keyed digest is HMAC-SHA256 byte for byte, for every key and message length', () => {
    for (const keyLength of [16, 32, 63, 64, 65, 200]) {
      const key = randomBytes(keyLength);
      const hmac = new KeyedSha256(key);
      for (let n = 0; n < 200; n++) {
        const text = randomBytes(n).toString('latin1') + (n % 3 === 0 ? '' : 'é€😀\0');
        assert.equal(
          hmac.digest(text).toString('hex'),
          createHmac('sha256', key).update(text, 'utf8').digest('hex'),
          `key ${keyLength} bytes, message ${n}`,
        );
      }
    }
    const hmac = new KeyedSha256(Buffer.from('project-key-0123456789'));
    for (const [prefix, text] of [
      ['fake:city\x000\x00', 'Zoë ☃'],
      ['kïnd\x001\x00', 'plain'],
      ['', 'x'.repeat(150)],
    ])
      assert.equal(
        hmac.digest(text, prefix).toString('hex'),
        createHmac('sha256', 'project-key-0123456789')
          .update(prefix + text)
          .digest('hex'),
      );
    // The masking key's digest is the HMAC of kind, attempt and value (a fixed, documented input).
    assert.equal(
      KEY.digest('fake:email', 'a@b.c', 2).toString('hex'),
      createHmac('sha256', 'project-key-0123456789').update('fake:email\x002\x00a@b.c').digest('hex'),
    );
  });

  it('the digest of values given as bytes is HMAC-SHA256 of prefix and bytes, within one block and past it', () => {
    const hmac = new KeyedSha256(Buffer.from('project-key-0123456789'));
    for (const prefix of ['', 'p', 'fake:email\x000\x00', 'x'.repeat(60), 'y'.repeat(70)]) {
      const digest = hmac.prefixed(Buffer.from(prefix, 'latin1'));
      const data = randomBytes(200);
      for (let n = 0; n <= 130; n++) {
        const from = n % 7;
        assert.equal(
          digest(data, from, from + n).toString('hex'),
          createHmac('sha256', 'project-key-0123456789')
            .update(Buffer.concat([Buffer.from(prefix, 'latin1'), data.subarray(from, from + n)]))
            .digest('hex'),
          `prefix ${prefix.length} bytes, message ${n}`,
        );
      }
    }
  });

  it('the byte writers of names, emails and phone numbers write the COPY text of the picked values', () => {
    const out = new Uint8Array(1024);
    for (const kind of ['firstName', 'lastName', 'email', 'phone'] as PickedKind[]) {
      const writer = fakeWriter(kind);
      assert.ok(writer, kind);
      for (let i = 0; i < 20_000; i++) {
        const digest = randomBytes(32);
        const end: number = writer.write(digest, out, 5);
        assert.ok(end - 5 <= writer.max, `${kind} wrote ${end - 5} bytes, more than its ${writer.max}`);
        assert.equal(Buffer.from(out.subarray(5, end)).toString('utf8'), encodeField(picked(kind, digest)), kind);
      }
    }
    assert.equal(fakeWriter('city'), undefined);
  });

  it('the memo returns what the mask returns, for repeated and distinct inputs alike, with bounded entries', () => {
    let calls = 0;
    const mask = compileTransformer({ kind: 'fake', fake: 'city' }, KEY, 'text');
    const counted = (v: string, attempt: number) => (calls++, mask(v, attempt));
    const memo = memoized(counted, 64);
    const values = Array.from({ length: 50_000 }, (_, i) => `v${i % 40}`).concat(
      Array.from({ length: 50_000 }, (_, i) => `distinct-${i}`),
    );
    for (const v of values) assert.equal(memo(v, 0), mask(v, 0));
    assert.ok(calls < 60_000, `${calls} calls: the repeated half should mostly hit`);
    assert.equal(memo('v1', 3), mask('v1', 3));
  });

  it('the memo keeps values that repeat further apart than its hit-rate window (a table of 20,000 last names)', () => {
    let calls = 0;
    const memo = memoized((v: string) => (calls++, v.toUpperCase()));
    for (let i = 0; i < 100_000; i++) assert.equal(memo(`name${i % 20_000}`, 0), `NAME${i % 20_000}`);
    assert.equal(calls, 20_000, 'each name is masked once');
  });

  it('the byte memo gives back the output put for an input, through its growth and once full, and nothing for another input', () => {
    const memo = new ByteMemo();
    const output = (i: number) => Buffer.from(`out-${i}-`.repeat(i % 16 === 0 ? 6000 : 1));
    const read = (i: number) => {
      const input = Buffer.from(`in-${i}`);
      const e = memo.get(input, 0, input.length);
      return e < 0 ? undefined : Buffer.from(memo.arena.subarray(memo.output(e), memo.outputEnd(e)));
    };
    let found = 0;
    for (let i = 0; i < 6000; i++) {
      const out = output(i);
      const input = Buffer.from(`in-${i}`);
      assert.equal(read(i), undefined);
      // put remembers what the last get missed.
      memo.put(input, 0, input.length, out, 0, out.length);
      assert.deepEqual(read(i), out, `input ${i} just put`);
      // An earlier input is there unless the memo was full since (and started again).
      const earlier = i >= 3 ? read(i - 3) : undefined;
      if (earlier) {
        assert.deepEqual(earlier, output(i - 3), `input ${i - 3}`);
        found++;
      }
    }
    assert.ok(found > 5000 && found < 5997, `${found} of 5997 found again`);
    assert.equal(read(999_999), undefined);
  });

  it('the byte scanner prints what decode, mask and encode print, with kept columns read by templates and unique sets', async () => {
    const columns: MaskedColumn[] = [
      { name: 'id', type: 'int4', transformer: keep, unique: true },
      { name: 'tenant', type: 'text', transformer: keep, unique: false },
      { name: 'email', type: 'text', transformer: { kind: 'fake', fake: 'email' }, unique: true },
      { name: 'name', type: 'text', transformer: { kind: 'fake', fake: 'firstName' }, unique: false },
      {
        name: 'display',
        type: 'text',
        transformer: { kind: 'template', template: '{name} of {tenant}', columns: ['name', 'tenant'] },
        unique: false,
      },
      { name: 'secret', type: 'text', transformer: { kind: 'null' }, unique: false },
      { name: 'code', type: 'text', transformer: { kind: 'redact', value: 'x' }, unique: false },
    ];
    const sets = [['tenant', 'code']];
    const lines = Array.from({ length: 300 }, (_, i) =>
      [
        String(i),
        i % 7 === 0 ? '\\N' : `t\\t${i % 3}é`,
        `user${i}@corp.test`,
        i % 5 === 0 ? '\\N' : `Zoë\\\\${i % 4}`,
        'd',
        's3cret',
        `c${i}`,
      ].join('\t'),
    );
    const input = Buffer.from(lines.join('\n') + '\n');
    const want = expected(new RowMasker('t', columns, KEY, sets), lines);
    assert.equal(await through(new RowMasker('t', columns, KEY, sets), [input]), want);
    // Split into many chunks at odd places (inside escapes and multi-byte characters).
    const chunks: Buffer[] = [];
    for (let at = 0; at < input.length; at += 97) chunks.push(input.subarray(at, at + 97));
    assert.equal(await through(new RowMasker('t', columns, KEY, sets), chunks), want);
    // A last line without its newline is still masked.
    assert.equal(await through(new RowMasker('t', columns, KEY, sets), [input.subarray(0, input.length - 1)]), want);
  });

  it('a masker that masks cell by cell prints the same from bytes and its byte memo: escapes, NULLs, non-ASCII, long and repeated values', async () => {
    const fake = (f: string): Transformer => ({ kind: 'fake', fake: f as 'email' });
    const columns: MaskedColumn[] = [
      { name: 'id', type: 'int4', transformer: keep, unique: true },
      { name: 'first', type: 'text', transformer: fake('firstName'), unique: false },
      { name: 'last', type: 'text', transformer: fake('lastName'), unique: false },
      { name: 'email', type: 'text', transformer: fake('email'), unique: false },
      { name: 'phone', type: 'text', transformer: fake('phone'), unique: false },
      { name: 'code', type: 'int4', transformer: { kind: 'hash', length: 16 }, unique: false },
      { name: 'token', type: 'text', transformer: { kind: 'hash', length: 12 }, unique: false },
      { name: 'note', type: 'text', transformer: { kind: 'scramble' }, unique: false },
      { name: 'born', type: 'date', transformer: { kind: 'dateShift', days: 30 }, unique: false },
      { name: 'secret', type: 'text', transformer: { kind: 'null' }, unique: false },
      { name: 'tag', type: 'text', transformer: { kind: 'redact', value: 'x' }, unique: false },
      { name: 'city', type: 'text', transformer: fake('city'), unique: false },
    ];
    const long = 'L'.repeat(300);
    // 120,000 rows: a few repeated values, then unique ones long enough for the memo to stand aside and return.
    const lines = Array.from({ length: 120_000 }, (_, i) =>
      [
        String(i),
        i % 11 === 0 ? '\\N' : i % 13 === 0 ? `Zoë${i % 5}` : `First${i % 50}`,
        i % 37 === 0 ? `O\\\\Brien${i % 3}` : `Last${i}`,
        i % 17 === 0 ? `a\\tb${i % 7}@x.test` : `person${i}@mail.test`,
        i % 19 === 0 ? long + String(i % 3) : `+44 ${i % 97}`,
        String(i % 300),
        i % 23 === 0 ? 'ü' : `t${i % 400}`,
        `Note ${i % 9}`,
        i % 29 === 0 ? '\\N' : `2020-01-${String(1 + (i % 28)).padStart(2, '0')}`,
        's',
        `tag${i}`,
        i % 31 === 0 ? 'Ōsaka\\n' : `City${i % 1000}`,
      ].join('\t'),
    );
    const masker = new RowMasker('t', columns, KEY);
    assert.ok(masker.independent);
    const input = Buffer.from(lines.join('\n') + '\n');
    const got = await through(masker, [input.subarray(0, 1_000_003), input.subarray(1_000_003)]);
    assert.equal(got, expected(new RowMasker('t', columns, KEY), lines));
  });

  it('a row with the wrong number of fields fails the copy', async () => {
    const masker = new RowMasker(
      't',
      [
        { name: 'a', type: 'text', transformer: keep, unique: false },
        { name: 'b', type: 'text', transformer: { kind: 'scramble' }, unique: false },
      ],
      KEY,
    );
    await assert.rejects(through(masker, [Buffer.from('1\tx\textra\n')]), /3 fields where the table has 2 columns/);
  });
});
