/** Docker Compose's value grammars, as `slipway init` reads them: interpolation, durations, ports, sizes and command lines. */

/** Variables for interpolation: the project's `.env` file over nothing else (the shell's are not baked into slipway.yaml). */
export type Vars = Record<string, string>;

/**
 * Compose interpolation of one string: `$$` is a `$`; `${VAR}`, `$VAR`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?err}` and `${VAR:+alt}` take `vars`. Returns the text and the names
 * that had no value and no default.
 */
export function interpolate(text: string, vars: Vars): { text: string; missing: string[] } {
  const missing: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    if (text[i + 1] === '$') {
      out += '$';
      i += 2;
      continue;
    }
    const bare = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (bare) {
      if (Object.hasOwn(vars, bare[0])) out += vars[bare[0]];
      else missing.push(bare[0]);
      i += 1 + bare[0].length;
      continue;
    }
    if (text[i + 1] !== '{') {
      out += c;
      i++;
      continue;
    }
    // ${...}: find the matching brace (defaults may hold their own ${...}).
    let depth = 1;
    let j = i + 2;
    for (; j < text.length && depth; j++) {
      if (text[j] === '{') depth++;
      else if (text[j] === '}') depth--;
    }
    const inner = text.slice(i + 2, j - 1);
    i = j;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?+])([\s\S]*))?$/.exec(inner);
    if (!m) {
      out += `\${${inner}}`;
      continue;
    }
    const [, name, colon, op, arg] = m;
    const has = Object.hasOwn(vars, name);
    const value = has ? vars[name] : undefined;
    const unset = colon ? !value : !has;
    const sub = () => {
      const r = interpolate(arg ?? '', vars);
      missing.push(...r.missing);
      return r.text;
    };
    if (op === '-') out += unset ? sub() : value!;
    else if (op === '+') out += unset ? '' : sub();
    else {
      if (unset) missing.push(name);
      out += value ?? '';
    }
  }
  return { text: out, missing };
}

/** A Compose duration (`1m30s`, `500ms`, `10s`) in milliseconds; undefined when it is not one. */
export function composeDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return value / 1e6; // nanoseconds, as Compose takes a bare number
  if (typeof value !== 'string' || !value.trim()) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 1e-6 };
  let total = 0;
  let rest = value.trim();
  while (rest) {
    const m = /^(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

/** Milliseconds as a Slipway duration (`1500ms`, `30s`). */
export function slipwayDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.ceil(ms)}ms`;
}

/** A Compose size (`512m`, `1gb`, `2G`, bytes) as a Slipway memory size; undefined when it is not one. */
export function composeMemory(value: unknown): string | number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgG])?[bB]?$/.exec(value.trim());
  if (!m) return undefined;
  return m[2] ? `${m[1]}${m[2]}` : Number(m[1]);
}

/** The container port of one `ports` entry (`8080:80`, `127.0.0.1:8080:80/tcp`, `80`, `{ target: 80 }`); a reason when Slipway cannot publish it. */
export function containerPort(entry: unknown): number | { reason: string } {
  if (typeof entry === 'object' && entry !== null) {
    const e = entry as { target?: unknown; protocol?: unknown };
    if (e.protocol === 'udp') return { reason: 'UDP ports are not published by Slipway' };
    const n = Number(e.target);
    return Number.isInteger(n) && n > 0 && n < 65536 ? n : { reason: 'a port without a numeric target' };
  }
  const text = String(entry);
  const [spec, proto] = text.split('/');
  if (proto && proto !== 'tcp') return { reason: `${proto.toUpperCase()} ports are not published by Slipway` };
  const target = spec.split(':').pop() ?? '';
  if (target.includes('-')) return { reason: 'port ranges are not published by Slipway (list each port)' };
  const n = Number(target);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : { reason: `"${text}" is not a port` };
}

/** Splits a command line as Compose does (shell words: quotes and backslashes, no expansion). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** A Compose `environment` or `args` (a mapping, or a list of `KEY=VALUE` / `KEY`): entries, a null value meaning "from the shell". */
export function keyValues(value: unknown): Array<[string, string | null]> {
  if (Array.isArray(value)) {
    return value.map((item) => {
      const text = String(item);
      const eq = text.indexOf('=');
      return eq < 0 ? [text, null] : [text.slice(0, eq), text.slice(eq + 1)];
    });
  }
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]);
  }
  return [];
}

/** A Slipway name (lowercase letter, then lowercase letters, digits or '-', at most 31) made from a Compose name. */
export function slipwayName(name: string): string {
  let s = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 31)
    .replace(/-+$/, '');
  if (!s) s = 'svc';
  return s;
}
