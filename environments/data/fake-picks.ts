/**
 * Realistic fake values drawn straight from @faker-js/faker's English definitions (names, streets,
 * cities, phone formats, ...) by the bytes of a keyed digest: one digest per value decides every
 * choice, so no generator is seeded per value and the output is fully determined by the digest.
 */
import { createHash } from 'node:crypto';
import { Faker, base, en } from '@faker-js/faker';

const defs = new Faker({ locale: [en, base] }).definitions;

/** The choices of one value, read in order from its digest (extended by hashing if a kind needs more). */
export class Draw {
  private pos = 0;

  constructor(private bytes: Buffer) {}

  /** Starts over on another digest (one `Draw` can serve value after value without allocating). */
  reset(bytes: Buffer): this {
    this.bytes = bytes;
    this.pos = 0;
    return this;
  }

  /** A whole number in [0, n): from two bytes when n is small (a bias under 1/16 of a choice), else four. */
  int(n: number): number {
    if (n <= 1) return 0;
    const wide = n > 4096;
    if (this.pos + (wide ? 4 : 2) > this.bytes.length) {
      this.bytes = Buffer.concat([this.bytes, createHash('sha256').update(this.bytes).digest()]);
    }
    const b = this.bytes;
    const p = this.pos;
    if (wide) {
      this.pos += 4;
      return Math.floor((b.readUInt32BE(p) / 4294967296) * n);
    }
    this.pos += 2;
    return (((b[p] << 8) | b[p + 1]) * n) >>> 16;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  digits(n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String(this.int(10));
    return out;
  }

  /** A faker number pattern: `#` any digit, `!` a digit 2-9. */
  pattern(format: string): string {
    let out = '';
    for (const c of format) out += c === '#' ? String(this.int(10)) : c === '!' ? String(2 + this.int(8)) : c;
    return out;
  }
}

type Weighted = Array<{ value: string; weight: number }>;
const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);
const gendered = (v: unknown): string[] => {
  const g = v as { generic?: string[]; female?: string[]; male?: string[] } | string[] | undefined;
  if (Array.isArray(g)) return g;
  return g?.generic ?? [...(g?.female ?? []), ...(g?.male ?? [])];
};

export const FIRST = gendered(defs.person.first_name);
export const LAST = gendered(defs.person.last_name);
export const LAST_PATTERNS = ((defs.person.last_name_pattern as { generic?: Weighted } | undefined)?.generic ?? [
  { value: '{{person.last_name.generic}}', weight: 1 },
]) as Weighted;
/** Lower-case ASCII letters and digits of a name, for an email's local part (names repeat: remembered). */
const asciiNames = new Map<string, string>();
const PLAIN = /^[A-Za-z]+(-[A-Za-z]+)?$/;
export function asciiOf(name: string): string {
  if (PLAIN.test(name)) return name.toLowerCase().replace('-', '');
  let out = asciiNames.get(name);
  if (out === undefined) {
    out = name
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9]/g, '')
      .toLowerCase();
    if (asciiNames.size < 8192) asciiNames.set(name, out);
  }
  return out;
}

function weighted(d: Draw, items: Weighted): string {
  const total = items.reduce((n, i) => n + i.weight, 0);
  let r = d.int(total);
  for (const item of items) {
    if (r < item.weight) return item.value;
    r -= item.weight;
  }
  return items[items.length - 1].value;
}

const location = defs.location as Record<string, unknown>;
const company = defs.company as Record<string, unknown>;

type Part = string | ((d: Draw) => string);
const parsed = new Map<string, Part[]>();

/** A pattern's parts, parsed once: literal text and the choices its `{{area.name}}` references make. */
function partsOf(pattern: string): Part[] {
  let parts = parsed.get(pattern);
  if (parts) return parts;
  parts = pattern
    .split(/(\{\{[a-z_]+\.[A-Za-z_.]+\}\})/)
    .filter((p) => p !== '')
    .map((p): Part => {
      const m = /^\{\{([a-z_]+)\.([A-Za-z_.]+)\}\}$/.exec(p);
      return m ? reference(m[1], m[2]) : p;
    });
  parsed.set(pattern, parts);
  return parts;
}

function reference(area: string, name: string): (d: Draw) => string {
  switch (`${area}.${name}`) {
    case 'person.firstName':
      return (d) => d.pick(FIRST);
    case 'person.lastName':
      return lastName;
    case 'person.last_name.generic':
      return (d) => d.pick(LAST);
    case 'location.buildingNumber':
      return (d) => d.pattern(d.pick(list(location.building_number)));
    case 'location.street':
      return (d) => render(d, d.pick(list(location.street_pattern)));
    default: {
      const source = area === 'location' ? location : area === 'company' ? company : undefined;
      const items = list(source?.[name]);
      if (items.length === 0) throw new Error(`no faker definition for ${area}.${name}`);
      return (d) => render(d, d.pick(items));
    }
  }
}

/** Renders a faker pattern (`{{person.firstName}} {{location.street_suffix}}`) with the digest's choices. */
function render(d: Draw, pattern: string): string {
  const parts = partsOf(pattern);
  if (parts.length === 1) return typeof parts[0] === 'string' ? parts[0] : parts[0](d);
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : p(d);
  return out;
}

function lastName(d: Draw): string {
  return render(d, weighted(d, LAST_PATTERNS));
}

/** The kinds drawn here (the others are generated by faker itself). */
export type PickedKind =
  'firstName' | 'lastName' | 'fullName' | 'email' | 'phone' | 'street' | 'city' | 'postcode' | 'company';

export const PHONES = list((defs.phone_number as { format?: { international?: string[] } }).format?.international);
export const EMAIL_DOMAINS = ['example.com', 'example.net', 'example.org'];
export const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';
const streetAddress = (defs.location.street_address as { normal?: string } | undefined)?.normal;

export const PICKED = new Set<string>([
  'firstName',
  'lastName',
  'fullName',
  'email',
  ...(PHONES.length ? ['phone'] : []),
  ...(streetAddress ? ['street'] : []),
  ...(list(location.city_pattern).length ? ['city'] : []),
  ...(list(location.postcode).length ? ['postcode'] : []),
  ...(list(company.name_pattern).length ? ['company'] : []),
]);

/** A fake value of `kind` decided by `digest` (at least 32 bytes). */
export function picked(kind: PickedKind, digest: Buffer): string {
  const d = new Draw(digest);
  switch (kind) {
    case 'firstName':
      return d.pick(FIRST);
    case 'lastName':
      return lastName(d);
    case 'fullName':
      return `${d.pick(FIRST)} ${lastName(d)}`;
    case 'email': {
      // A short keyed token keeps distinct people distinct; example.* domains never deliver mail.
      let token = '';
      for (let i = 0; i < 4; i++) token += ALNUM[d.int(36)];
      return `${asciiOf(d.pick(FIRST))}.${asciiOf(lastName(d))}.${token}@${d.pick(EMAIL_DOMAINS)}`;
    }
    case 'phone':
      return d.pattern(d.pick(PHONES));
    case 'street':
      return render(d, streetAddress!);
    case 'city':
      return render(d, d.pick(list(location.city_pattern)));
    case 'postcode':
      return d.pattern(d.pick(list(location.postcode)));
    case 'company':
      return render(d, d.pick(list(company.name_pattern)));
  }
}
