/**
 * Fake names, emails and phone numbers written from a keyed digest straight into a COPY stream's
 * bytes (COPY text, or the value's own UTF-8 for the binary format): the bytes of `picked`'s
 * strings, without building them.
 */
import { encodeField, type CopyFormat } from './copy-format';
import { ALNUM, asciiOf, Draw, EMAIL_DOMAINS, FIRST, LAST, LAST_PATTERNS, PHONES, type PickedKind } from './fake-picks';

/** Writes the bytes of a fake value decided by `digest` (COPY text, or UTF-8) at `out[at]` (with `max` bytes of room); returns where they end. */
export interface FakeWriter {
  max: number;
  write(digest: Buffer, out: Uint8Array, at: number): number;
}

/** Byte strings packed into one block: string `i` is `bytes[starts[i]..starts[i + 1])`. */
interface Table {
  bytes: Uint8Array;
  starts: Int32Array;
  count: number;
  longest: number;
}

function table(items: readonly string[], encode: (s: string) => Buffer): Table {
  const encoded = items.map(encode);
  const starts = new Int32Array(encoded.length + 1);
  encoded.forEach((b, i) => (starts[i + 1] = starts[i] + b.length));
  const bytes = new Uint8Array(starts[encoded.length]);
  encoded.forEach((b, i) => bytes.set(b, starts[i]));
  return { bytes, starts, count: items.length, longest: encoded.reduce((n, b) => Math.max(n, b.length), 0) };
}

const copyText = (s: string): Buffer => Buffer.from(encodeField(s), 'utf8');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');
const emailText = (s: string): Buffer => Buffer.from(asciiOf(s), 'latin1');

/** Writes string `i` of `t` at `out[at]`; returns where it ends. */
function put(out: Uint8Array, at: number, t: Table, i: number): number {
  const bytes = t.bytes;
  const end = t.starts[i + 1];
  for (let k = t.starts[i]; k < end; k++) out[at++] = bytes[k];
  return at;
}

const LAST_REF = '{{person.last_name.generic}}';
/** A writer that reads its choices from a `Draw` already under way (a part of a larger value). */
interface DrawWriter {
  max: number;
  draw(d: Draw, out: Uint8Array, at: number): number;
}

/**
 * `lastName`'s choices (a weighted pattern, then a last name for each of its references) written
 * in `encode`'s form (COPY text, or an email's ASCII); undefined when a pattern refers to anything else.
 */
function lastNameWriter(encode: (s: string) => Buffer): DrawWriter | undefined {
  const names = table(LAST, encode);
  const split = LAST_PATTERNS.map((p) => p.value.split(/(\{\{[^{}]*\}\})/).filter((part) => part !== ''));
  if (split.length === 0 || split.some((parts) => parts.some((p) => p.startsWith('{{') && p !== LAST_REF)))
    return undefined;
  const literals = table(
    split.flat().filter((p) => p !== LAST_REF),
    encode,
  );
  // Per pattern, its parts: a literal's index in `literals`, or -1 for a last name.
  let next = 0;
  const parts = split.map((ps) => Int32Array.from(ps, (p) => (p === LAST_REF ? -1 : next++)));
  const weights = LAST_PATTERNS.map((p) => p.weight);
  const total = weights.reduce((n, w) => n + w, 0);
  const max = Math.max(
    ...parts.map((ps) =>
      ps.reduce((n, p) => n + (p < 0 ? names.longest : literals.starts[p + 1] - literals.starts[p]), 0),
    ),
  );
  return {
    max,
    draw: (d, out, at) => {
      // As `weighted`: the last pattern when the draw passes them all.
      let r = d.int(total);
      let chosen = parts.length - 1;
      for (let i = 0; i < parts.length; i++) {
        if (r < weights[i]) {
          chosen = i;
          break;
        }
        r -= weights[i];
      }
      const ps = parts[chosen];
      for (let k = 0; k < ps.length; k++)
        at = ps[k] < 0 ? put(out, at, names, d.int(names.count)) : put(out, at, literals, ps[k]);
      return at;
    },
  };
}

/** Each form's writers, made once. */
const writers = new Map<CopyFormat, Map<PickedKind, FakeWriter>>();

/**
 * The writers of the kinds that have one (firstName, lastName, email, phone), in `encode`'s form:
 * COPY text, or the value's UTF-8 (the binary format's bytes of a text value).
 */
function build(encode: (s: string) => Buffer): Map<PickedKind, FakeWriter> {
  const made = new Map<PickedKind, FakeWriter>();
  const draw = new Draw(Buffer.alloc(0));
  const first = table(FIRST, encode);
  made.set('firstName', {
    max: first.longest,
    write: (digest, out, at) => put(out, at, first, draw.reset(digest).int(first.count)),
  });
  const last = lastNameWriter(encode);
  if (last) made.set('lastName', { max: last.max, write: (digest, out, at) => last.draw(draw.reset(digest), out, at) });
  // email: four token characters, then the first name, the last name and the domain, as `picked` draws them.
  const firstAscii = table(FIRST, emailText);
  const lastAscii = lastNameWriter(emailText);
  const domains = table(EMAIL_DOMAINS, (s) => Buffer.from(s, 'latin1'));
  const alnum = Buffer.from(ALNUM, 'latin1');
  if (lastAscii) {
    made.set('email', {
      max: firstAscii.longest + lastAscii.max + domains.longest + 7,
      write: (digest, out, at) => {
        const d = draw.reset(digest);
        const t0 = alnum[d.int(36)];
        const t1 = alnum[d.int(36)];
        const t2 = alnum[d.int(36)];
        const t3 = alnum[d.int(36)];
        at = put(out, at, firstAscii, d.int(firstAscii.count));
        out[at++] = 0x2e; // .
        at = lastAscii.draw(d, out, at);
        out[at++] = 0x2e;
        out[at++] = t0;
        out[at++] = t1;
        out[at++] = t2;
        out[at++] = t3;
        out[at++] = 0x40; // @
        return put(out, at, domains, d.int(domains.count));
      },
    });
  }
  // phone: a format; faker's `#` is any digit, `!` a digit 2-9, other characters stand as they are.
  const chars = PHONES.map((f) => [...f]);
  const literals = table(
    chars.flat().filter((c) => c !== '#' && c !== '!'),
    encode,
  );
  let next = 0;
  const formats = chars.map((cs) => Int32Array.from(cs, (c) => (c === '#' ? -1 : c === '!' ? -2 : next++)));
  if (formats.length > 0) {
    made.set('phone', {
      max: Math.max(...formats.map((f) => f.length)) * Math.max(1, literals.longest),
      write: (digest, out, at) => {
        const d = draw.reset(digest);
        const format = formats[d.int(formats.length)];
        for (let k = 0; k < format.length; k++) {
          const c = format[k];
          if (c === -1) out[at++] = 0x30 + d.int(10);
          else if (c === -2) out[at++] = 0x32 + d.int(8);
          else at = put(out, at, literals, c);
        }
        return at;
      },
    });
  }
  return made;
}

/** The byte writer of a picked fake kind, when it has one, writing COPY text (or, for `binary`, the value's UTF-8). */
export function fakeWriter(kind: string, form: CopyFormat = 'text'): FakeWriter | undefined {
  let made = writers.get(form);
  if (!made) writers.set(form, (made = build(form === 'text' ? copyText : utf8)));
  return made.get(kind as PickedKind);
}
