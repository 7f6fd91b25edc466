/** A realistic source database for the masking tests: customers (self-referencing), addresses, orders, payments in non-public schemas. */
import type pg from 'pg';
import { quoteIdent, readCatalog, rowsOf } from '../../environments/data/catalog';
import { luhnDigit } from '../../environments/data/fakes';
import { withClient } from './postgres';

export const SOURCE_DDL = `
CREATE SCHEMA crm;
CREATE SCHEMA billing;
CREATE TABLE public.settings (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE crm.customers (
  id serial PRIMARY KEY,
  first_name text NOT NULL,
  last_name text NOT NULL,
  display_name text,
  email text NOT NULL UNIQUE,
  phone text,
  national_id text UNIQUE,
  birth_date date,
  referred_by integer REFERENCES crm.customers (id),
  profile jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'active'
);
CREATE TABLE crm.addresses (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES crm.customers (id),
  street text NOT NULL,
  city text NOT NULL,
  postcode text NOT NULL,
  country text NOT NULL,
  CONSTRAINT addresses_customer_street UNIQUE (customer_id, street)
);
CREATE TABLE crm.orders (
  id serial PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES crm.customers (id),
  contact_email text NOT NULL,
  total numeric(10, 2) NOT NULL,
  placed_at timestamptz NOT NULL,
  status text NOT NULL
);
CREATE INDEX orders_customer ON crm.orders (customer_id);
CREATE TABLE billing.payments (
  id serial PRIMARY KEY,
  order_id integer NOT NULL REFERENCES crm.orders (id),
  card_number text NOT NULL,
  iban text,
  amount numeric(10, 2) NOT NULL,
  paid_at timestamptz NOT NULL
);
`;

/** The policy a careful team would write for the source above. */
export const POLICY = `version: 1
schemas:
  public:
    tables:
      settings:
        columns: { key: keep, value: keep }
  crm:
    tables:
      customers:
        columns:
          id: keep
          first_name: firstName
          last_name: lastName
          display_name: { template: "{first_name} {last_name}" }
          email: email
          phone: phone
          national_id: nationalId
          birth_date: { dateShift: { days: 200 } }
          referred_by: keep
          profile: { json: { "$.email": email, "$.phones.*": phone, "$.nickname": firstName, "$.address.line1": street } }
          created_at: keep
          status: { keep: reviewed }
      addresses:
        columns: { id: keep, customer_id: keep, street: street, city: city, postcode: postcode, country: keep }
      orders:
        columns: { id: keep, customer_id: keep, contact_email: email, total: { noise: { percent: 5 } }, placed_at: keep, status: keep }
  billing:
    tables:
      payments:
        columns: { id: keep, order_id: keep, card_number: cardNumber, iban: iban, amount: keep, paid_at: keep }
`;

function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  'ka',
  'lo',
  'rin',
  'zu',
  'mek',
  'tha',
  'vor',
  'quel',
  'ix',
  'dra',
  'pim',
  'sol',
  'ung',
  'bre',
  'yan',
  'ost',
];

/** Inserts the rows; returns every personal value written, for the scan of the masked copy. */
export async function seedSource(client: pg.Client, customers = 300): Promise<Set<string>> {
  const random = prng(20260101);
  const int = (n: number) => Math.floor(random() * n);
  const word = (n = 2 + int(2)) => {
    const w = Array.from({ length: n }, () => SYLLABLES[int(SYLLABLES.length)]).join('');
    return w[0].toUpperCase() + w.slice(1);
  };
  const digits = (n: number) => Array.from({ length: n }, () => int(10)).join('');
  const personal = new Set<string>();
  const add = <T extends string>(v: T) => (personal.add(v), v);
  await client.query(SOURCE_DDL);
  await client.query(`INSERT INTO public.settings VALUES ('region', 'eu-west'), ('retention_days', '30')`);
  for (let i = 1; i <= customers; i++) {
    const first = add(word());
    const last = add(word(3));
    const email = add(`${first}.${last}${i}@mailhost${i % 7}.test`.toLowerCase());
    const phone = add(`+44 7700 9${digits(5)}${String(i).padStart(3, '0').slice(-1)}`);
    const nid = add(
      `${100 + (i % 500)}-${String(10 + (i % 89)).padStart(2, '0')}-${String(1000 + i).padStart(4, '0')}`,
    );
    const referrer = i > 20 && random() < 0.15 ? 1 + int(20) : null;
    const profile = {
      email: add(`${first}.${i}@othermail.test`.toLowerCase()),
      phones: [add(`+1 202 555 ${digits(4)}`)],
      nickname: add(`${word()}${i}`),
      address: { line1: add(`${1 + int(300)} ${word()} Street`) },
      preferences: { newsletter: random() < 0.5 },
    };
    const born = `19${50 + int(50)}-0${1 + int(9)}-1${int(9)}`;
    await client.query(
      `INSERT INTO crm.customers (first_name, last_name, display_name, email, phone, national_id, birth_date, referred_by, profile, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() - ($10 || ' days')::interval)`,
      [first, last, add(`${first} ${last}`), email, phone, nid, born, referrer, JSON.stringify(profile), int(900)],
    );
    for (let a = 0; a < 1 + int(2); a++) {
      await client.query(
        'INSERT INTO crm.addresses (customer_id, street, city, postcode, country) VALUES ($1, $2, $3, $4, $5)',
        [
          i,
          add(`${1 + int(900)} ${word()} Road`),
          add(`${word(3)}ford`),
          add(`ZX${1 + int(98)} ${digits(1)}Q${int(10)}`),
          'GB',
        ],
      );
    }
    for (let o = 0; o < int(4); o++) {
      const order = await client.query<{ id: number }>(
        `INSERT INTO crm.orders (customer_id, contact_email, total, placed_at, status) VALUES ($1, $2, $3, now() - ($4 || ' hours')::interval, $5) RETURNING id`,
        [i, email, (5 + random() * 300).toFixed(2), int(5000), ['paid', 'shipped', 'open'][int(3)]],
      );
      if (random() < 0.8) {
        const body = `5${digits(14)}`;
        await client.query(
          'INSERT INTO billing.payments (order_id, card_number, iban, amount, paid_at) VALUES ($1, $2, $3, $4, now())',
          [
            order.rows[0].id,
            add(body + luhnDigit(body)),
            add(`GB${digits(2)}NWBK${digits(14)}`),
            (5 + random() * 300).toFixed(2),
          ],
        );
      }
    }
  }
  return personal;
}

/**
 * A project whose one database is seeded from `SEED_SOURCE_URL` through `masking.yaml` (beside it),
 * used by a sleeping web service; `extra` lines follow (a pipeline, say). Returns the spec's text.
 */
export function seededSpec(project: string, extra: string[] = []): string {
  return [
    'version: 1',
    `name: ${project}`,
    'services:',
    '  web:',
    '    image: slipway/busybox:local',
    '    command: sleep 3600',
    '    env:',
    '      DATABASE_URL: ${{ databases.db.url }}',
    'databases:',
    '  db:',
    '    engine: postgres',
    '    version: "15"',
    '    seed: { source: "${{ env.SEED_SOURCE_URL }}", policy: masking.yaml }',
    ...extra,
    '',
  ].join('\n');
}

/** Every cell of every table of a database (as text), with where it was found. */
export async function cells(url: string): Promise<Array<{ at: string; value: string }>> {
  return withClient(url, async (c) => {
    const catalog = await readCatalog(c);
    const out: Array<{ at: string; value: string }> = [];
    for (const table of catalog.tables.values()) {
      const list = table.columns.map((col) => `${quoteIdent(col.name)}::text`).join(', ');
      const result = await c.query({ text: `SELECT ${list} FROM ${rowsOf(table)}`, rowMode: 'array' });
      for (const row of result.rows as Array<Array<string | null>>) {
        row.forEach((v, i) => v !== null && out.push({ at: `${table.id}.${table.columns[i].name}`, value: v }));
      }
    }
    return out;
  });
}
