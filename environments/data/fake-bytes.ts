/** Fake names, emails and phone numbers written from a keyed digest straight into COPY text bytes: the bytes of `picked`'s strings, without building them. */
import { encodeField } from './copy-text';
import { ALNUM, asciiOf, Draw, EMAIL_DOMAINS, FIRST, LAST, LAST_PATTERNS, PHONES, type PickedKind } from './fake-picks';

/** Writes the COPY text bytes of a fake value decided by `digest` at `out[at]` (with `max` bytes of room); returns where they end. */
export interface FakeWriter {
  max: number;
  write(digest: Buffer, out: Uint8Array, at: number): number;
}

const copyBytes = (s: string): Uint8Array => Buffer.from(encodeField(s), 'utf8');
const asciiBytes = (s: string): Uint8Array => Buffer.from(asciiOf(s), 'latin1');
const longest = (items: readonly Uint8Array[]): number => items.reduce((n, b) => Math.max(n, b.length), 0);

function put(out: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) out[at + k] = bytes[k];
  return at + bytes.length;
}

const LAST_REF = '{{person.last_name.generic}}';
/** A last-name pattern as literal bytes and picks of a last name (-1); undefined if it refers to anything else. */
function lastPattern(pattern: string, bytes: (s: string) => Uint8Array): Array<Uint8Array | -1> | undefined {
  const parts = pattern.split(/(\{\{[^{}]*\}\})/).filter((p) => p !== '');
  if (parts.some((p) => p.startsWith('{{') && p !== LAST_REF)) return undefined;
  return parts.map((p) => (p === LAST_REF ? -1 : bytes(p)));
}

/** A writer that reads its choices from a `Draw` already under way (a part of a larger value). */
interface DrawWriter {
  max: number;
  draw(d: Draw, out: Uint8Array, at: number): number;
}

/** `lastName`'s choices (a weighted pattern, then its picks) written with `names` and `bytes` (copy text, or an email's ASCII). */
function lastNameWriter(names: Uint8Array[], bytes: (s: string) => Uint8Array): DrawWriter | undefined {
  const patterns = LAST_PATTERNS.map((p) => lastPattern(p.value, bytes));
  if (patterns.length === 0 || patterns.some((p) => p === undefined)) return undefined;
  const parts = patterns as Array<Array<Uint8Array | -1>>;
  const weights = LAST_PATTERNS.map((p) => p.weight);
  const total = weights.reduce((n, w) => n + w, 0);
  const max = Math.max(...parts.map((ps) => ps.reduce((n, p) => n + (p === -1 ? longest(names) : p.length), 0)));
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
      for (const p of parts[chosen]) at = put(out, at, p === -1 ? names[d.int(names.length)] : p);
      return at;
    },
  };
}

let writers: Map<PickedKind, FakeWriter> | undefined;

/** The writers of the kinds that have one (firstName, lastName, email, phone), made once. */
function build(): Map<PickedKind, FakeWriter> {
  const made = new Map<PickedKind, FakeWriter>();
  const draw = new Draw(Buffer.alloc(0));
  const first = FIRST.map(copyBytes);
  made.set('firstName', {
    max: longest(first),
    write: (digest, out, at) => put(out, at, first[draw.reset(digest).int(first.length)]),
  });
  const last = lastNameWriter(LAST.map(copyBytes), copyBytes);
  if (last) made.set('lastName', { max: last.max, write: (digest, out, at) => last.draw(draw.reset(digest), out, at) });
  // email: four token characters, then the first name, the last name and the domain, as `picked` draws them.
  const firstAscii = FIRST.map(asciiBytes);
  const lastAscii = lastNameWriter(LAST.map(asciiBytes), asciiBytes);
  const domains = EMAIL_DOMAINS.map((s) => Buffer.from(s, 'latin1'));
  if (lastAscii) {
    const token = new Uint8Array(4);
    made.set('email', {
      max: longest(firstAscii) + lastAscii.max + longest(domains) + 7,
      write: (digest, out, at) => {
        const d = draw.reset(digest);
        for (let i = 0; i < 4; i++) token[i] = ALNUM.charCodeAt(d.int(36));
        at = put(out, at, firstAscii[d.int(firstAscii.length)]);
        out[at++] = 0x2e; // .
        at = lastAscii.draw(d, out, at);
        out[at++] = 0x2e;
        at = put(out, at, token);
        out[at++] = 0x40; // @
        return put(out, at, domains[d.int(domains.length)]);
      },
    });
  }
  // phone: a format (faker's `#` any digit, `!` 2-9), its other characters as they are.
  const formats = PHONES.map((f) => [...f].map((c) => (c === '#' ? -1 : c === '!' ? -2 : copyBytes(c))));
  if (formats.length > 0) {
    const max = Math.max(
      ...formats.map((f) => f.reduce((n: number, c) => n + (typeof c === 'number' ? 1 : c.length), 0)),
    );
    made.set('phone', {
      max,
      write: (digest, out, at) => {
        const d = draw.reset(digest);
        for (const c of formats[d.int(formats.length)])
          if (c === -1) out[at++] = 0x30 + d.int(10);
          else if (c === -2) out[at++] = 0x32 + d.int(8);
          else at = put(out, at, c);
        return at;
      },
    });
  }
  return made;
}

/** The byte writer of a picked fake kind, when it has one. */
export function fakeWriter(kind: string): FakeWriter | undefined {
  writers ??= build();
  return writers.get(kind as PickedKind);
}
