/** Drafts a masking policy from a source database: every column covered, a suggested transformer for each that looks personal, a comment saying why. */
import { readSourceSnapshot, sampleValues, type ColumnInfo } from './catalog';
import { personalColumn, personalJsonPaths, suggestedTransformer } from './detect';
import type { Transformer } from './policy';

export interface DraftOptions {
  signal?: AbortSignal;
}

const JSON_TYPES = new Set(['json', 'jsonb']);

/** A mapping key as YAML: bare when safe, else double-quoted. */
function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) &&
    !['null', 'true', 'false', 'yes', 'no', 'on', 'off'].includes(key.toLowerCase())
    ? key
    : JSON.stringify(key);
}

/** A transformer in the policy's YAML form (flow style, one line). */
export function transformerYaml(t: Transformer): string {
  switch (t.kind) {
    case 'keep':
      return t.reviewed ? '{ keep: reviewed }' : 'keep';
    case 'null':
      return 'null';
    case 'redact':
      return `{ redact: ${JSON.stringify(t.value)} }`;
    case 'hash':
      return t.length === 16 ? 'hash' : `{ hash: { length: ${t.length} } }`;
    case 'fake':
      return t.fake;
    case 'scramble':
      return 'scramble';
    case 'dateShift':
      return `{ dateShift: { days: ${t.days} } }`;
    case 'noise':
      return `{ noise: { percent: ${t.percent} } }`;
    case 'regex':
      return `{ regex: { pattern: ${JSON.stringify(t.pattern.source)}, replace: ${JSON.stringify(t.replace)} } }`;
    case 'json':
      return `{ json: { ${t.paths.map((p) => `${JSON.stringify(['$', ...p.path].join('.'))}: ${transformerYaml(p.transformer)}`).join(', ')} } }`;
    case 'template':
      return `{ template: ${JSON.stringify(t.template)} }`;
  }
}

const comment = (text: string) => `  # ${text.replace(/[\r\n]+/g, ' ')}`;

/** The suggested rule for one column, and why. */
function suggest(column: ColumnInfo, samples: string[]): { transformer: Transformer; why: string } {
  if (JSON_TYPES.has(column.type)) {
    const paths = personalJsonPaths(samples);
    if (paths.size > 0) {
      const list = [...paths.entries()];
      return {
        transformer: {
          kind: 'json',
          paths: list.map(([path, f]) => ({
            path: path.split('.').slice(1),
            transformer: suggestedTransformer(f.kind),
          })),
        },
        why: `JSON fields that look personal: ${list.map(([path, f]) => `${path} (${f.why})`).join('; ')}`,
      };
    }
    const whole = personalColumn(column, samples);
    if (whole)
      return {
        transformer: { kind: 'redact', value: '{}' },
        why: `looks personal (${whole.why}) but no single field could be told apart: replaced by {}`,
      };
    return {
      transformer: { kind: 'keep', reviewed: false },
      why: `${column.type}; no field looks personal in the sampled documents`,
    };
  }
  const finding = personalColumn(column, samples);
  if (finding) return { transformer: suggestedTransformer(finding.kind), why: `looks personal: ${finding.why}` };
  return {
    transformer: { kind: 'keep', reviewed: false },
    why: `${column.type}; nothing personal in its name or sampled values`,
  };
}

/**
 * A policy (YAML text) covering every column of every table in every non-system schema of the
 * source, for people to review before the first seed. Reads in one read-only snapshot.
 */
export async function draftPolicy(sourceUrl: string, options: DraftOptions = {}): Promise<string> {
  return readSourceSnapshot(sourceUrl, async (client, catalog) => {
    const lines = [
      '# Masking policy drafted by Slipway from the source database. Review every rule before the first seed:',
      '# columns that looked personal got a transformer, everything else `keep`. Mark a column you have',
      '# checked as `{ keep: reviewed }`; a personal-looking column left on plain `keep` stops the seed.',
      'version: 1',
      'schemas:',
    ];
    const bySchema = new Map<string, string[]>();
    for (const table of catalog.tables.values()) {
      options.signal?.throwIfAborted();
      const samples = await sampleValues(client, table);
      const out = bySchema.get(table.schema) ?? [];
      bySchema.set(table.schema, out);
      out.push(`      ${yamlKey(table.name)}:`, '        columns:');
      for (const column of table.columns) {
        const { transformer, why } = suggest(column, samples.get(column.name) ?? []);
        out.push(`          ${yamlKey(column.name)}: ${transformerYaml(transformer)}${comment(why)}`);
      }
    }
    for (const schema of catalog.schemas) {
      const tables = bySchema.get(schema);
      lines.push(`  ${yamlKey(schema)}:`, tables ? '    tables:' : '    tables: {}', ...(tables ?? []));
    }
    return lines.join('\n') + '\n';
  });
}
