import assert from 'node:assert/strict';
import { passesLuhn } from '../../environments/data/fakes';
import { MaskingKey } from '../../environments/data/keyed';
import type { Transformer } from '../../environments/data/policy';
import { RowMasker, addNoise, compileTransformer, scramble, shiftDate } from '../../environments/data/transformers';

const KEY = new MaskingKey('project-key-0123456789');
const OTHER = new MaskingKey('another-key-0123456789');
const fakeT = (fake: string): Transformer => ({ kind: 'fake', fake: fake as never });
const run = (t: Transformer, value: string, key = KEY, type = 'text') => compileTransformer(t, key, type)(value, 0);

describe('masking transformers', () => {
  it('are deterministic under one key and differ under another', () => {
    for (const kind of [
      'email',
      'fullName',
      'phone',
      'iban',
      'cardNumber',
      'nationalId',
      'street',
      'city',
      'postcode',
      'company',
      'username',
      'ip',
      'firstName',
      'lastName',
    ]) {
      const a = run(fakeT(kind), 'alice@corp.test');
      assert.equal(run(fakeT(kind), 'alice@corp.test'), a, kind);
      assert.notEqual(run(fakeT(kind), 'bob@corp.test'), a, kind);
      assert.notEqual(run(fakeT(kind), 'alice@corp.test', OTHER), a, kind);
    }
    assert.equal(run({ kind: 'hash', length: 16 }, 'x')?.length, 16);
    assert.match(run({ kind: 'hash', length: 16 }, 'x', KEY, 'integer') ?? '', /^\d+$/);
  });

  it('makes realistic, obviously fake values', () => {
    assert.match(run(fakeT('email'), 'a@b.c') ?? '', /^[a-z0-9.]+@example\.(com|net|org)$/);
    const card = run(fakeT('cardNumber'), '4539578763621486') ?? '';
    assert.match(card, /^400000\d{10}$/);
    assert.ok(passesLuhn(card), card);
    assert.match(run(fakeT('nationalId'), '123-45-6789') ?? '', /^666-\d\d-\d{4}$/);
    assert.match(run(fakeT('ip'), '8.8.8.8') ?? '', /^10\.\d+\.\d+\.\d+$/);
    assert.match(run(fakeT('iban'), 'DE89370400440532013000') ?? '', /^[A-Z]{2}\d{2}[A-Z0-9]+$/);
  });

  it('scrambles keeping length and character classes', () => {
    const out = scramble('Ab-12 z', Buffer.from([1, 2, 3, 4, 5, 6, 7]));
    assert.match(out, /^[A-Z][a-z]-\d\d [a-z]$/);
    assert.equal(run({ kind: 'scramble' }, 'XY-123')?.length, 6);
  });

  it('shifts dates within the range, never by zero, and adds bounded noise', () => {
    for (const u of [0, 0.2, 0.49, 0.5, 0.99]) {
      const shifted = shiftDate('2024-03-01 10:20:30+00', 10, u);
      const days = (Date.parse(shifted.slice(0, 10)) - Date.parse('2024-03-01')) / 86_400_000;
      assert.ok(days !== 0 && Math.abs(days) <= 10, `${u}: ${shifted}`);
      assert.ok(shifted.endsWith(' 10:20:30+00'));
    }
    for (const u of [0, 0.5, 0.999]) {
      const n = Number(addNoise('200.00', 10, u, false));
      assert.ok(n >= 180 && n <= 220, String(n));
      assert.match(addNoise('200.00', 10, u, false), /^\d+\.\d\d$/);
    }
    assert.match(addNoise('57', 10, 0.9, true), /^\d+$/);
  });

  it('masks JSON paths, regexes and templates', () => {
    const json = run(
      {
        kind: 'json',
        paths: [
          { path: ['email'], transformer: fakeT('email') },
          { path: ['phones', '*'], transformer: { kind: 'null' } },
        ],
      },
      '{"email":"a@b.c","phones":["1","2"],"plan":"pro"}',
    );
    const doc = JSON.parse(json ?? '');
    assert.equal(doc.email, run(fakeT('email'), 'a@b.c'));
    assert.deepEqual(doc.phones, [null, null]);
    assert.equal(doc.plan, 'pro');
    assert.equal(run({ kind: 'regex', pattern: /\d/g, replace: '#' }, 'a1b22'), 'a#b##');
    const masker = new RowMasker(
      't',
      [
        { name: 'first', type: 'text', transformer: fakeT('firstName'), unique: false },
        { name: 'last', type: 'text', transformer: fakeT('lastName'), unique: false },
        {
          name: 'display',
          type: 'text',
          transformer: { kind: 'template', template: '{first} {last}', columns: ['first', 'last'] },
          unique: false,
        },
      ],
      KEY,
    );
    const [first, last, display] = masker.mask(['Ada', 'Lovelace', 'Ada Lovelace']);
    assert.equal(display, `${first} ${last}`);
    assert.notEqual(first, 'Ada');
  });

  it('keeps unique columns unique by resolving collisions deterministically', () => {
    const columns = [
      { name: 'code', type: 'text', transformer: { kind: 'redact', value: 'x' } as Transformer, unique: true },
    ];
    const a = new RowMasker('t', columns, KEY);
    const outA = ['1', '2', '3'].map((v) => a.mask([v])[0]);
    assert.deepEqual(outA, ['x', 'x-1', 'x-2']);
    const b = new RowMasker('t', [{ name: 'e', type: 'text', transformer: fakeT('email'), unique: true }], KEY);
    const outB = Array.from({ length: 2000 }, (_, i) => b.mask([`user${i}@corp.test`])[0]);
    assert.equal(new Set(outB).size, 2000);
    assert.deepEqual(new RowMasker('t', columns, KEY).mask([null]), [null]);
  });

  it('remembers the outputs only of columns whose values repeat (not unique, not mostly distinct by the statistics)', () => {
    const col = (name: string, unique: boolean, distinct?: number) => ({
      name,
      type: 'text',
      transformer: fakeT('email'),
      unique,
      distinct,
    });
    const masker = new RowMasker(
      't',
      [
        col('plain', false),
        col('unique', true),
        col('distinct', false, -1),
        col('half', false, -0.5),
        col('few', false, 40),
      ],
      KEY,
    );
    assert.deepEqual(masker.memoizable, [true, false, false, true, true]);
    // Remembered or not, each value masks the same.
    const row = ['a@b.c', 'a@b.c', 'a@b.c', 'a@b.c', 'a@b.c'];
    assert.equal(new Set(masker.mask(row)).size, 1);
  });

  it('keeps multi-column unique sets unique, redrawing only their masked members', () => {
    const masker = new RowMasker(
      't',
      [
        { name: 'code', type: 'text', transformer: { kind: 'redact', value: 'x' }, unique: false },
        { name: 'shop', type: 'text', transformer: { kind: 'keep', reviewed: false }, unique: false },
      ],
      KEY,
      [['code', 'shop']],
    );
    const out = [
      ['1', 'p'],
      ['2', 'p'],
      ['3', 'q'],
      ['4', null],
    ].map((row) => masker.mask(row));
    assert.deepEqual(out, [
      ['x', 'p'],
      ['x-1', 'p'],
      ['x', 'q'],
      ['x', null],
    ]);
  });
});
