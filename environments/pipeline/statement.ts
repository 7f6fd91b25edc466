/** The canonical statement an approval signs: what exactly is promoted (project, stage, commit, image digests, spec hash). */
import { createHash } from 'node:crypto';

export interface PromotionFacts {
  project: string;
  /** The stage promoted into. */
  stage: string;
  /** The source commit (`<sha>`, or `unknown` outside git). */
  commit: string;
  /** Image ids (sha256 content digests) by service. */
  images: Record<string, string>;
  /** `specHash` of what the source runs. */
  spec: string;
}

/** JSON with object keys sorted at every depth, so equal values always give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** sha256 of the resolved services, databases, data and mocks a source runs: a rebuild or a changed setting gives another hash. */
export function specHash(resolved: { services: unknown; databases: unknown; data?: unknown; mocks?: unknown }): string {
  const { services, databases, data, mocks } = resolved;
  return 'sha256:' + createHash('sha256').update(canonicalJson({ services, databases, data, mocks })).digest('hex');
}

/** The text an approver signs: one `key: value` a line, images sorted by service. */
export function approvalStatement(f: PromotionFacts): string {
  const images = Object.keys(f.images)
    .sort()
    .map((service) => `image ${service}: ${f.images[service]}`);
  return [
    'slipway-approval v1',
    `project: ${f.project}`,
    `stage: ${f.stage}`,
    `commit: ${f.commit}`,
    ...images,
    `spec: ${f.spec}`,
    '',
  ].join('\n');
}
