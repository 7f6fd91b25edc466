/** Recognizes columns that look personal, by their name or by sampled values, and suggests a transformer for each kind. */
import { en } from '@faker-js/faker';
import { passesLuhn } from './fakes';
import type { FakeKind, Transformer } from './policy';

export type PersonalKind =
  | 'email'
  | 'phone'
  | 'card'
  | 'iban'
  | 'nationalId'
  | 'birthDate'
  | 'street'
  | 'city'
  | 'postcode'
  | 'firstName'
  | 'lastName'
  | 'fullName'
  | 'username'
  | 'ip';

export interface Finding {
  kind: PersonalKind;
  /** Why, for people: "its name looks like an email address", "62% of sampled values are email addresses". */
  why: string;
}

const LABEL: Record<PersonalKind, string> = {
  email: 'an email address',
  phone: 'a phone number',
  card: 'a card number',
  iban: 'a bank account (IBAN)',
  nationalId: 'a national id',
  birthDate: 'a date of birth',
  street: 'a street address',
  city: 'a city',
  postcode: 'a postcode',
  firstName: 'a first name',
  lastName: 'a last name',
  fullName: "a person's name",
  username: 'a user name',
  ip: 'an IP address',
};

const NAME_PATTERNS: Array<[PersonalKind, RegExp]> = [
  ['email', /e_?mail/],
  ['phone', /phone|mobile|(^|_)tel(_|$)|telephone|(^|_)fax(_|$)|msisdn/],
  ['card', /card_?(number|no|num)|(^|_)pan(_|$)|cc_?num|credit_?card/],
  ['iban', /iban|bank_?account|account_?number/],
  ['nationalId', /(^|_)ssn(_|$)|social_?security|national_?id|passport|tax_?id|(^|_)nino(_|$)|id_?number/],
  ['birthDate', /birth|(^|_)dob(_|$)|born/],
  ['street', /address|street|(^|_)addr(_|$)|address_?line/],
  ['city', /(^|_)(city|town)(_|$)/],
  ['postcode', /post_?code|postal|(^|_)zip/],
  ['firstName', /first_?name|given_?name|forename/],
  ['lastName', /last_?name|family_?name|surname|maiden_?name/],
  ['fullName', /full_?name|display_?name|(^|_)name$|contact_?name|customer_?name/],
  ['username', /user_?name|nick_?name|(^|_)login(_|$)|handle/],
  ['ip', /(^|_)ip(_|$)|ip_?addr/],
];

const TEXT_TYPES = new Set(['text', 'varchar', 'bpchar', 'citext', 'name', 'json', 'jsonb', '_text', '_varchar']);
const DATE_TYPES = new Set(['date', 'timestamp', 'timestamptz']);

/** Whether a column of SQL type `type` can hold `kind` at all (an `address_id` integer cannot hold an address). */
export function plausibleType(kind: PersonalKind, type: string): boolean {
  if (TEXT_TYPES.has(type)) return true;
  if (kind === 'birthDate') return DATE_TYPES.has(type);
  if (kind === 'phone' || kind === 'card' || kind === 'nationalId' || kind === 'postcode')
    return type === 'int8' || type === 'numeric';
  if (kind === 'ip') return type === 'inet' || type === 'cidr';
  return false;
}

/** The personal kind a column looks like, by its name (when its type fits) or by its sampled values. */
export function personalColumn(column: { name: string; type: string }, samples: string[]): Finding | undefined {
  const byName = personalByName(column.name);
  if (byName && plausibleType(byName.kind, column.type)) return byName;
  return personalByValues(samples);
}

/** A kind of personal data the column's name suggests. */
export function personalByName(column: string): Finding | undefined {
  const name = column.toLowerCase();
  for (const [kind, pattern] of NAME_PATTERNS)
    if (pattern.test(name)) return { kind, why: `its name looks like ${LABEL[kind]}` };
  return undefined;
}

const lower = (list: unknown) => (Array.isArray(list) ? list.map((s) => String(s).toLowerCase()) : []);
const personDefs = en.person as
  { first_name?: Record<string, string[]>; last_name?: Record<string, string[]> } | undefined;
const FIRST_NAMES = new Set(Object.values(personDefs?.first_name ?? {}).flatMap(lower));
const LAST_NAMES = new Set(Object.values(personDefs?.last_name ?? {}).flatMap(lower));

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const CARD = /(?:\d[ -]?){12,18}\d/g;
const SSN = /\b\d{3}-\d{2}-\d{4}\b|\b[A-CEGHJ-PR-TW-Z]{2}\d{6}[A-D]\b/;
const IBAN = /\b[A-Z]{2}\d{2}[A-Z0-9]{11,30}\b/;
const STREET =
  /\b\d{1,5}\s+([A-Za-z.'-]+\s+){0,4}(street|st|avenue|ave|road|rd|lane|ln|drive|dr|way|boulevard|blvd|court|ct|place|pl|square|sq)\b/i;
const PHONE = /^\+?[\d\s().-]{9,20}$/;

/** The kinds one value (a JSON document's string leaves count one by one) looks like. */
function valueKinds(value: string): PersonalKind[] {
  const kinds: PersonalKind[] = [];
  if (EMAIL.test(value)) kinds.push('email');
  if (
    [...value.matchAll(CARD)].some(
      (m) => passesLuhn(m[0].replace(/[ -]/g, '')) && m[0].replace(/[ -]/g, '').length >= 13,
    )
  )
    kinds.push('card');
  if (SSN.test(value)) kinds.push('nationalId');
  if (IBAN.test(value)) kinds.push('iban');
  if (STREET.test(value)) kinds.push('street');
  // A bare run of digits is more often an id or an amount than a phone number.
  const phone = value.trim();
  if (
    PHONE.test(phone) &&
    /^[+0(]|[\s().-]/.test(phone) &&
    (phone.match(/\d/g)?.length ?? 0) >= 9 &&
    !kinds.includes('card')
  )
    kinds.push('phone');
  const words = value.trim().split(/\s+/);
  if (words.length >= 1 && words.length <= 3 && words.every((w) => /^\p{Lu}[\p{L}'-]+$/u.test(w))) {
    const first = FIRST_NAMES.has(words[0].toLowerCase());
    const last = LAST_NAMES.has(words[words.length - 1].toLowerCase());
    if (words.length > 1 && (first || last)) kinds.push('fullName');
    else if (words.length === 1 && first) kinds.push('firstName');
    else if (words.length === 1 && last) kinds.push('lastName');
  }
  return kinds;
}

/** String leaves of a JSON document, or the value itself when it is not one. */
function leaves(value: string): string[] {
  const t = value.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const out: string[] = [];
      const walk = (n: unknown) => {
        if (typeof n === 'string') out.push(n);
        else if (typeof n === 'number') out.push(String(n));
        else if (n && typeof n === 'object') Object.values(n).forEach(walk);
      };
      walk(JSON.parse(value));
      return out;
    } catch {
      /* not JSON */
    }
  }
  return [value];
}

/** The personal kind most sampled values look like, when at least `threshold` of them do. */
export function personalByValues(values: string[], threshold = 0.2): Finding | undefined {
  if (values.length === 0) return undefined;
  const counts = new Map<PersonalKind, number>();
  for (const value of values) {
    const kinds = new Set(leaves(value).flatMap(valueKinds));
    for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  if (!best || best[1] / values.length < threshold) return undefined;
  const percent = Math.round((best[1] / values.length) * 100);
  return { kind: best[0], why: `${percent}% of sampled values look like ${LABEL[best[0]]}` };
}

/** Per JSON key path (`$.a.b`), the personal kind its sampled leaves or its key name suggest. */
export function personalJsonPaths(values: string[]): Map<string, Finding> {
  const byPath = new Map<string, string[]>();
  const walk = (n: unknown, path: string[]) => {
    if (Array.isArray(n)) n.forEach((item) => walk(item, [...path, '*']));
    else if (n && typeof n === 'object') for (const [k, v] of Object.entries(n)) walk(v, [...path, k]);
    else if (n !== null && n !== undefined) {
      const key = ['$', ...path].join('.');
      byPath.set(key, [...(byPath.get(key) ?? []), String(n)]);
    }
  };
  for (const value of values) {
    try {
      walk(JSON.parse(value), []);
    } catch {
      /* not JSON */
    }
  }
  const out = new Map<string, Finding>();
  for (const [path, leafValues] of byPath) {
    const last =
      path
        .split('.')
        .filter((s) => s !== '*')
        .pop() ?? '';
    const finding = personalByName(last) ?? personalByValues(leafValues);
    if (finding) out.set(path, finding);
  }
  return out;
}

/** The transformer Slipway suggests for a kind of personal data. */
export function suggestedTransformer(kind: PersonalKind): Transformer {
  switch (kind) {
    case 'card':
      return { kind: 'fake', fake: 'cardNumber' };
    case 'birthDate':
      return { kind: 'dateShift', days: 180 };
    default:
      return { kind: 'fake', fake: kind as FakeKind };
  }
}
