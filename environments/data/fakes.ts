/** Realistic fake values for masking, from @faker-js/faker seeded per input value, plus Luhn-valid test card numbers and never-issued national ids. */
import { Faker, base, en } from '@faker-js/faker';
import type { FakeKind } from './policy';

const faker = new Faker({ locale: [en, base] });

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

const ascii = (s: string) => s.normalize('NFKD').replace(/[^A-Za-z0-9]/g, '').toLowerCase();

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
