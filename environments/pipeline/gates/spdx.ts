/**
 * License policy of the `licenses` gate, with SPDX semantics (spdx-expression-parse, spdx-satisfies).
 *
 * A package's license is an SPDX expression: `(MIT OR Apache-2.0)` is acceptable when any
 * alternative is, `MIT AND Zlib` when all are. `GPL-2.0-only`, `GPL-2.0-or-later` and `GPL-2.0+`
 * differ: an allow list entry `GPL-2.0-or-later` allows GPL-2.0 and every later GPL; a package
 * under `GPL-2.0-or-later` is allowed by `GPL-3.0-only` (its user may pick GPL-3.0), and is denied
 * only when every version it permits is denied (`deny: [GPL-2.0-or-later]`, not `[GPL-2.0-only]`).
 * An entry without an exception also matches the license with any exception. Ids and operators
 * are read without case (`mit or apache-2.0`). Text that is no SPDX expression (`SEE LICENSE IN
 * LICENSE.md`) is one license named by the whole text: allowed only with no allow list, and
 * denied when a deny entry spells the same text.
 */
import parse from 'spdx-expression-parse';
import satisfies from 'spdx-satisfies';
import licenseIds from 'spdx-license-ids/index.json';
import deprecatedIds from 'spdx-license-ids/deprecated.json';
import exceptionIds from 'spdx-exceptions/index.json';

export type LicenseProblem = 'denied' | 'not allowed' | 'no license';

interface Leaf {
  license: string;
  plus?: boolean;
  exception?: string;
}
type Node = Leaf | { left: Node; conjunction: 'and' | 'or'; right: Node };

const CANONICAL = new Map<string, string>(
  [...licenseIds, ...deprecatedIds, ...exceptionIds].map((id) => [id.toLowerCase(), id]),
);

/** An expression with its ids and operators in SPDX's spelling, or undefined when it does not parse. */
function parsed(text: string): Node | undefined {
  const spelled = (text.match(/\(|\)|[^\s()]+/g) ?? [])
    .map((token) => {
      const lower = token.toLowerCase();
      if (lower === 'and' || lower === 'or' || lower === 'with') return lower.toUpperCase();
      const plus = lower.endsWith('+') ? '+' : '';
      return CANONICAL.get(plus ? lower.slice(0, -1) : lower)?.concat(plus) ?? token;
    })
    .join(' ')
    .replace(/\( /g, '(')
    .replace(/ \)/g, ')');
  try {
    return parse(spelled) as Node;
  } catch {
    return undefined;
  }
}

/** The alternatives of an expression, each a list of licenses that all apply. */
function alternatives(node: Node): Leaf[][] {
  if (!('conjunction' in node)) return [[node]];
  const left = alternatives(node.left);
  const right = alternatives(node.right);
  return node.conjunction === 'or' ? [...left, ...right] : left.flatMap((l) => right.map((r) => [...l, ...r]));
}

function text(leaf: Leaf): string {
  return `${leaf.license}${leaf.plus ? '+' : ''}${leaf.exception ? ` WITH ${leaf.exception}` : ''}`;
}

const ONLY_IDS = licenseIds.filter((id) => !id.endsWith('-or-later'));
const permitted = new Map<string, string[]>();

/** The single licenses a leaf lets its user pick: `GPL-2.0-or-later` gives GPL-2.0-only and GPL-3.0-only. */
function choices(leaf: Leaf): Leaf[] {
  const ranged = leaf.plus || leaf.license.endsWith('-or-later');
  if (!ranged) return [leaf];
  const key = text({ ...leaf, exception: undefined });
  let ids = permitted.get(key);
  if (!ids) {
    ids = ONLY_IDS.filter((id) => {
      try {
        return satisfies(id, [key]);
      } catch {
        return false;
      }
    });
    permitted.set(key, ids);
  }
  return ids.length ? ids.map((license) => ({ license, exception: leaf.exception })) : [leaf];
}

/** Decides whether a license expression is acceptable under the allow and deny lists. */
export class LicensePolicy {
  private readonly allow: string[];
  private readonly deny: string[];
  /** Entries that are no SPDX id, compared as text with licenses that are no SPDX expression. */
  private readonly allowText: Set<string>;
  private readonly denyText: Set<string>;

  constructor(allow: string[], deny: string[]) {
    [this.allow, this.allowText] = entries(allow);
    [this.deny, this.denyText] = entries(deny);
  }

  /** Why `license` is not acceptable, or undefined when it is. */
  problem(license: string | undefined): LicenseProblem | undefined {
    const restricted = this.allow.length > 0 || this.allowText.size > 0;
    if (license === undefined) return restricted ? 'no license' : undefined;
    const node = parsed(license);
    if (!node) {
      const key = license.trim().toLowerCase();
      if (this.denyText.has(key)) return 'denied';
      return !restricted || this.allowText.has(key) ? undefined : 'not allowed';
    }
    const options = alternatives(node);
    if (options.some((leaves) => leaves.every((leaf) => !this.denied(leaf) && (!restricted || this.allowed(leaf)))))
      return undefined;
    return options.some((leaves) => leaves.some((leaf) => this.denied(leaf))) ? 'denied' : 'not allowed';
  }

  private allowed(leaf: Leaf): boolean {
    return this.matches(leaf, this.allow);
  }

  /** Denied when every license it lets its user pick is denied. */
  private denied(leaf: Leaf): boolean {
    return this.deny.length > 0 && choices(leaf).every((choice) => this.matches(choice, this.deny));
  }

  /** The leaf, or the leaf without its exception, is satisfied by the list. */
  private matches(leaf: Leaf, list: string[]): boolean {
    if (list.length === 0) return false;
    const candidates = leaf.exception ? [text(leaf), text({ ...leaf, exception: undefined })] : [text(leaf)];
    return candidates.some((c) => {
      try {
        return satisfies(c, list);
      } catch {
        return false; // a LicenseRef or an id spdx-satisfies does not rank: no match
      }
    });
  }
}

/** List entries in SPDX's spelling, and the ones that are no SPDX license as lowercase text. */
function entries(list: string[]): [string[], Set<string>] {
  const spdx: string[] = [];
  const plain = new Set<string>();
  for (const entry of list) {
    const node = parsed(entry);
    if (node && !('conjunction' in node)) spdx.push(text(node));
    else plain.add(entry.trim().toLowerCase());
  }
  return [spdx, plain];
}
