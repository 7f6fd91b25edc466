/** Realistic fake values for masking, from @faker-js/faker seeded per input value, plus Luhn-valid test card numbers and never-issued national ids. */
import { Faker, base, en, type Randomizer } from '@faker-js/faker';
import type { FakeKind } from './policy';

/**
 * faker's own Mersenne Twister costs ~0.1 ms to seed, paid once per masked value; the seed here
 * is already a keyed digest, so a small fast generator (sfc32) over its words is enough.
 */
class DigestRandomizer implements Randomizer {
  private s = [0, 0, 0, 0];

  // Arrow properties: faker calls `next` detached from the object.
  seed = (seed: number | number[]): void => {
    const words = Array.isArray(seed) ? seed : [seed];
    this.s = [0, 1, 2, 3].map((i) => (words[i] ?? 0) ^ (words[i + 4] ?? 0)) as [number, number, number, number];
    for (let i = 0; i < 12; i++) this.next();
  };

  next = (): number => {
    let [a, b, c, d] = this.s;
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.s = [a, b, c, d];
    return (t >>> 0) / 4294967296;
  };
}

const faker = new Faker({ locale: [en, base], randomizer: new DigestRandomizer() });

/** A Visa test-card BIN (400000): numbers pass Luhn but no bank issues them. */
const TEST_CARD_BIN = '400000';

/** The Luhn check digit for a string of digits. */
export function luhnDigit(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function passesLuhn(number: string): boolean {
  return /^\d{2,}$/.test(number) && luhnDigit(number.slice(0, -1)) === number.slice(-1);
}

const ascii = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();

/** A fake value of `kind`, fully determined by `seed`. */
export function fake(kind: FakeKind, seed: number[]): string {
  faker.seed(seed);
  const digits = (n: number) => faker.string.numeric({ length: n, allowLeadingZeros: true });
  switch (kind) {
    case 'firstName':
      return faker.person.firstName();
    case 'lastName':
      return faker.person.lastName();
    case 'fullName':
      return `${faker.person.firstName()} ${faker.person.lastName()}`;
    case 'email': {
      // A short keyed token keeps distinct people distinct; example.* domains never deliver mail.
      const local = `${ascii(faker.person.firstName())}.${ascii(faker.person.lastName())}.${faker.string.alphanumeric({ length: 4, casing: 'lower' })}`;
      return `${local}@${faker.helpers.arrayElement(['example.com', 'example.net', 'example.org'])}`;
    }
    case 'phone':
      return faker.phone.number({ style: 'international' });
    case 'street':
      return faker.location.streetAddress();
    case 'city':
      return faker.location.city();
    case 'postcode':
      return faker.location.zipCode();
    case 'company':
      return faker.company.name();
    case 'username':
      return `${faker.internet.username()}${digits(3)}`;
    case 'ip':
      // The private 10.0.0.0/8 range: never a real customer's public address.
      return `10.${faker.number.int(255)}.${faker.number.int(255)}.${faker.number.int({ min: 1, max: 254 })}`;
    case 'iban':
      return faker.finance.iban();
    case 'cardNumber': {
      const body = TEST_CARD_BIN + digits(9);
      return body + luhnDigit(body);
    }
    case 'nationalId':
      // US SSN shape in area 666, which is never issued.
      return `666-${digits(2).replace(/^00$/, '01')}-${digits(4).replace(/^0000$/, '0001')}`;
  }
}
