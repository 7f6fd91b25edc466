/** `databases.<name>.seed` in slipway.yaml: the checks the schema cannot express, and its normalized form. */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SeedSpec } from './types';

const ENV_SOURCE = /^\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;

/** A problem at a path of the document; the loader turns it into a positioned `SpecIssue`. */
export interface SeedProblem {
  path: Array<string | number>;
  at: 'key' | 'value' | 'owner';
  message: string;
}

interface RawSeed {
  source: string;
  policy: string;
  schedule?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The source as the spec names it: an environment variable, or a dump file's absolute path. */
export function seedSource(raw: string, dir: string): SeedSpec['source'] | undefined {
  const env = ENV_SOURCE.exec(raw.trim());
  if (env) return { env: env[1] };
  if (raw.startsWith('file:')) return { file: resolve(dir, raw.slice('file:'.length)) };
  return undefined;
}

/** cron-parser, loaded when a spec has a schedule (the loader needs it for nothing else). */
function cron(): typeof import('cron-parser').CronExpressionParser {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('cron-parser') as typeof import('cron-parser')).CronExpressionParser;
}

/** Whether a cron expression parses; the parser's message when it does not. */
export function cronProblem(expression: string): string | undefined {
  const parser = cron(); // a missing install is its own error, not a bad expression
  try {
    parser.parse(expression);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The next time a schedule fires after `from`. */
export function nextRun(expression: string, from: Date): Date {
  return cron().parse(expression, { currentDate: from }).next().toDate();
}

/** Missing files (policy, dump) and a schedule that is not a cron expression; shapes are left to the schema. */
export function seedProblems(database: string, raw: unknown, dir: string): SeedProblem[] {
  if (!isRecord(raw) || !isRecord(raw.seed)) return [];
  const seed = raw.seed;
  const at = (key: string) => ['databases', database, 'seed', key];
  const problems: SeedProblem[] = [];
  if (typeof seed.policy === 'string' && seed.policy) {
    const file = resolve(dir, seed.policy);
    if (!existsSync(file) || !statSync(file).isFile()) {
      problems.push({
        path: at('policy'),
        at: 'value',
        message: `the masking policy ${file} does not exist; draft one with \`slipway data init --source URL --out ${seed.policy}\``,
      });
    }
  }
  if (typeof seed.source === 'string') {
    const source = seedSource(seed.source, dir);
    if (source && 'file' in source && (!existsSync(source.file) || !statSync(source.file).isFile())) {
      problems.push({
        path: at('source'),
        at: 'value',
        message: `the dump file ${source.file} does not exist (write file:PATH relative to slipway.yaml)`,
      });
    }
  }
  if (typeof seed.schedule === 'string') {
    const why = cronProblem(seed.schedule);
    if (why)
      problems.push({
        path: at('schedule'),
        at: 'value',
        message: `"${seed.schedule}" is not a cron expression (${why}); e.g. "0 3 * * *" is every day at 03:00`,
      });
  }
  return problems;
}

/** The normalized seed of a database whose spec passed the schema and the checks above. */
export function normalizeSeed(raw: RawSeed, dir: string): SeedSpec {
  const seed: SeedSpec = { source: seedSource(raw.source, dir)!, policy: resolve(dir, raw.policy) };
  if (raw.schedule !== undefined) seed.schedule = raw.schedule;
  return seed;
}
