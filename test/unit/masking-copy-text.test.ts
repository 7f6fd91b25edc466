import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decodeField, encodeField } from '../../environments/data/copy-format';
import { MaskStream } from '../../environments/data/copy-text';
import { personalByName, personalByValues, personalColumn, personalJsonPaths } from '../../environments/data/detect';
import { MaskingKey } from '../../environments/data/keyed';
import { RowMasker } from '../../environments/data/transformers';

const KEY = new MaskingKey('project-key-0123456789');

async function through(masker: RowMasker, chunks: Buffer[]): Promise<{ text: string; rows: number }> {
  let text = '';
  let rows = 0;
  await pipeline(
    Readable.from(chunks),
    new MaskStream(masker, (n) => (rows += n)),
    new Writable({
      write(chunk, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    }),
  );
  return { text, rows };
}

describe('COPY text format', () => {
  it('decodes and re-encodes escapes, NULL and multi-byte text', () => {
    assert.equal(decodeField('\\N'), null);
    assert.equal(decodeField('a\\tb\\nc\\\\d\\r'), 'a\tb\nc\\d\r');
    assert.equal(decodeField('\\101\\x42'), 'AB');
    for (const value of ['plain', 'tab\there', 'line\nbreak', 'back\\slash', '\\N', 'Zoë ☃', '']) {
      assert.equal(decodeField(encodeField(value)), value);
    }
    assert.equal(encodeField(null), '\\N');
  });

  it('masks rows split anywhere across chunks, even inside a multi-byte character', async () => {
    const masker = new RowMasker(
      't',
      [
        { name: 'id', type: 'int4', transformer: { kind: 'keep', reviewed: false }, unique: true },
        { name: 'note', type: 'text', transformer: { kind: 'scramble' }, unique: false },
      ],
      KEY,
    );
    const input = Buffer.from('1\tZoë\\tx\n2\t\\N\n3\tabc\n');
    const whole = await through(masker, [input]);
    assert.equal(whole.rows, 3);
    const lines = whole.text
      .trimEnd()
      .split('\n')
      .map((l) => l.split('\t'));
    assert.deepEqual(
      lines.map((l) => l[0]),
      ['1', '2', '3'],
    );
    assert.equal(lines[1][1], '\\N');
    assert.match(lines[0][1], /^[A-Z][a-z]{2}\\t[a-z]$/);
    for (let cut = 1; cut < input.length; cut++) {
      const split = await through(masker, [input.subarray(0, cut), input.subarray(cut)]);
      assert.deepEqual(split, whole, `cut at ${cut}`);
    }
  });

  it('passes a table with nothing to mask through unchanged', async () => {
    const masker = new RowMasker(
      't',
      [{ name: 'a', type: 'text', transformer: { kind: 'keep', reviewed: true }, unique: false }],
      KEY,
    );
    assert.deepEqual(await through(masker, [Buffer.from('x\\ty\nz\n')]), { text: 'x\\ty\nz\n', rows: 2 });
  });
});

describe('personal data detection', () => {
  it('recognizes names of personal columns, only where the type can hold them', () => {
    assert.equal(personalByName('contact_email')?.kind, 'email');
    assert.equal(personalByName('date_of_birth')?.kind, 'birthDate');
    assert.equal(personalByName('status'), undefined);
    assert.equal(personalColumn({ name: 'address_id', type: 'int4' }, ['12', '13']), undefined);
    assert.equal(personalColumn({ name: 'address', type: 'text' }, [])?.kind, 'street');
  });

  it('recognizes sampled values: emails, Luhn-valid cards, national ids, phones, names, streets', () => {
    assert.equal(personalByValues(['a@b.io', 'c@d.io', 'open'])?.kind, 'email');
    assert.equal(personalByValues(['4539 5787 6362 1486'])?.kind, 'card');
    assert.equal(personalByValues(['4539578763621487']), undefined, 'fails Luhn, so not a card');
    assert.equal(personalByValues(['123-45-6789'])?.kind, 'nationalId');
    assert.equal(personalByValues(['+44 7700 900123'])?.kind, 'phone');
    assert.equal(personalByValues(['123456789012']), undefined, 'a bare number is not a phone');
    assert.equal(personalByValues(['Mary Smith', 'John Jones'])?.kind, 'fullName');
    assert.equal(personalByValues(['12 Baker Street'])?.kind, 'street');
    assert.equal(personalByValues(['paid', 'shipped', 'open']), undefined);
    assert.equal(personalByValues(['{"contact":{"mail":"x@y.io"}}'])?.kind, 'email');
    const paths = personalJsonPaths(['{"contact":{"mail":"x@y.io"},"plan":"pro","phones":["+1 202 555 0101"]}']);
    assert.deepEqual([...paths.keys()].sort(), ['$.contact.mail', '$.phones.*']);
  });
});
