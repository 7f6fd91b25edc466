/** References inside spec values (`${{ databases.db.url }}`): parsing, rendering and finding them in services' env. */
import { mockServiceName } from './mocks';
import type { SpecRef, TemplateValue } from './types';
import { isRecord, type Path, type Problem } from './source';

/** Turns a template into its final string, asking `resolveRef` for the value of each reference. */
export function renderTemplate(value: TemplateValue, resolveRef: (ref: SpecRef) => string): string {
  return value.map((part) => (typeof part === 'string' ? part : resolveRef(part.ref))).join('');
}

const REF_OPEN = '${{';
const REF_CLOSE = '}}';

/** Splits a string into literal text and references; malformed references are reported in `errors`. */
export function parseTemplate(text: string): { value: TemplateValue; errors: string[] } {
  const value: TemplateValue = [];
  const errors: string[] = [];
  let literal = '';
  let rest = 0;
  for (let open = text.indexOf(REF_OPEN); open !== -1; open = text.indexOf(REF_OPEN, rest)) {
    literal += text.slice(rest, open);
    const close = text.indexOf(REF_CLOSE, open + REF_OPEN.length);
    if (close === -1) {
      errors.push(`"${REF_OPEN}" is never closed: end the reference with "${REF_CLOSE}"`);
      rest = open;
      break;
    }
    const raw = text.slice(open, close + REF_CLOSE.length);
    const ref = parseRef(text.slice(open + REF_OPEN.length, close).trim());
    if (ref) {
      if (literal !== '') value.push(literal);
      literal = '';
      value.push({ ref });
    } else {
      errors.push(
        `"${raw}" is not a reference: write \${{ databases.<name>.<attribute> }}, \${{ services.<name>.<attribute> }} or \${{ mocks.<name>.url }}`,
      );
      literal += raw;
    }
    rest = close + REF_CLOSE.length;
  }
  literal += text.slice(rest);
  if (literal !== '') value.push(literal);
  return { value, errors };
}

function parseRef(inner: string): SpecRef | undefined {
  const match = /^(databases|services|mocks)\.([^.\s]+)\.([^.\s]+)$/.exec(inner);
  if (!match) return undefined;
  if (match[1] === 'mocks') return { kind: 'services', name: mockServiceName(match[2]), attr: match[3] };
  return { kind: match[1] as SpecRef['kind'], name: match[2], attr: match[3] };
}

export function refText(ref: SpecRef): string {
  return `\${{ ${ref.kind}.${ref.name}.${ref.attr} }}`;
}

/** One reference found in a service's env, with where it was written. */
export interface EnvRef {
  service: string;
  path: Path;
  ref: SpecRef;
}

/** The references in every string env value of the (possibly not yet valid) services, in order. */
export function envRefs(services: Record<string, unknown>): { refs: EnvRef[]; malformed: Problem[] } {
  const refs: EnvRef[] = [];
  const malformed: Problem[] = [];
  for (const [service, raw] of Object.entries(services)) {
    const env = isRecord(raw) && isRecord(raw.env) ? raw.env : {};
    for (const [variable, value] of Object.entries(env)) {
      if (typeof value !== 'string') continue;
      const path = ['services', service, 'env', variable];
      const parsed = parseTemplate(value);
      for (const part of parsed.value) if (typeof part !== 'string') refs.push({ service, path, ref: part.ref });
      for (const message of parsed.errors) malformed.push({ path, at: 'value', message });
    }
  }
  return { refs, malformed };
}
