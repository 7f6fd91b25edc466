/** Seeds a target PostgreSQL database with a masked copy of a source: check, schema, streamed masked rows, keys, sequences. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { SlipwayError } from '../errors';
import { qualified, quoteIdent, readCatalog, rowsOf, SYSTEM_SCHEMA_SQL, tableId, type TableInfo } from './catalog';
import { checkSource } from './check';
import { binaryCopyFits, type CopyFormat } from './copy-format';
import { copyOut } from './copy-reader';
import { MaskStream } from './copy-text';
import { MaskingKey } from './keyed';
import { maskThreads, ParallelMaskStream } from './mask-pool';
import { ruleFor, tableRule, type MaskingPolicy, type Transformer } from './policy';
import { dumpSchema, restoreSection } from './schema-copy';
import { clearTarget, prepareTarget, resetSequences } from './target';
import { createKeepTables, fillSubset, planSubset } from './subset';
import { RowMasker, type MaskedColumn } from './transformers';

export type SeedEvent =
  | { type: 'checked'; tables: number; columns: number }
  | { type: 'schema'; section: 'pre-data' | 'post-data' }
  | { type: 'subset'; tables: number }
  | { type: 'table'; table: string; rows: number; rowsPerSecond: number; done: boolean }
  | { type: 'sequences'; count: number };

export interface SeedOptions {
  /** The project's masking key: the same key masks the same value the same way in every run. */
  key: string | Buffer;
  signal?: AbortSignal;
  onEvent?: (event: SeedEvent) => void;
  /** Tables copied at once (default 2). */
  concurrency?: number;
  /** Clear a target that already holds tables first (a re-seed); otherwise such a target is refused. */
  replace?: boolean;
  /** Folder of pg_dump/pg_restore (default: the newest under /usr/lib/postgresql, else PATH). */
  toolsDir?: string;
  /**
   * COPY's format: `auto` (the default) takes the binary format for each table that fits it
   * (`binaryCopyFits`) and is masked on this thread, else text; `text` always takes text. Both
   * give the same rows.
   */
  format?: 'auto' | 'text';
}

export interface SeedSummary {
  tables: Array<{ table: string; rows: number }>;
  durationMs: number;
}

const SESSION =
  "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'; SET extra_float_digits = 3";

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined); // a dropped connection fails the query in flight instead
  await client.connect();
  await client.query(SESSION);
  return client;
}

/**
 * Copies `sourceUrl` into the empty database `targetUrl`, masked by `policy`. Before anything is
 * written the source is checked against the policy (fail closed: `MaskingUnsafeError`). Every
 * table is read in one snapshot. On any failure or cancellation the target is cleared again.
 */
export async function seedMaskedData(
  sourceUrl: string,
  targetUrl: string,
  policy: MaskingPolicy,
  options: SeedOptions,
): Promise<SeedSummary> {
  const started = Date.now();
  const key = new MaskingKey(options.key);
  const emit = (e: SeedEvent) => options.onEvent?.(e);
  const abort = new AbortController();
  const onAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const signal = abort.signal;
  const clients: pg.Client[] = [];
  const open = async (url: string) => {
    const c = await connect(url);
    clients.push(c);
    return c;
  };
  const dir = mkdtempSync(join(tmpdir(), 'slipway-seed-'));
  let written = false;
  try {
    signal.throwIfAborted();
    const source = await open(sourceUrl);
    const catalog = await readCatalog(source);
    await checkSource(source, catalog, policy, signal);
    const all = [...catalog.tables.values()];
    emit({ type: 'checked', tables: all.length, columns: all.reduce((n, t) => n + t.columns.length, 0) });
    const plan = planSubset(catalog, policy);
    await createKeepTables(source, plan);
    // From here the source session only reads (rows go into its temp tables alone), in one
    // snapshot that the worker sessions and pg_dump share.
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await source.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0].s;
    if (JSON.stringify([...(await readCatalog(source)).tables.values()]) !== JSON.stringify(all)) {
      throw new SlipwayError(
        'data-copy-failed',
        'The source schema changed while the seed was starting (a migration ran?); nothing was written.',
        {
          hint: 'Run the seed again.',
        },
      );
    }

    const distinct = await readDistinct(source);
    const target = await open(targetUrl);
    await prepareTarget(target, options.replace === true);
    const filters = await fillSubset(source, plan, policy, signal);
    if (filters.size > 0) emit({ type: 'subset', tables: filters.size });

    const mode = (t: TableInfo) => tableRule(policy, t.schema, t.name)?.mode ?? 'copy';
    const file = join(dir, 'schema.dump');
    await dumpSchema(sourceUrl, file, {
      snapshot,
      exclude: all.filter((t) => mode(t) === 'skip'),
      toolsDir: options.toolsDir,
      signal,
    });
    written = true;
    await restoreSection(targetUrl, file, 'pre-data', { toolsDir: options.toolsDir, signal });
    emit({ type: 'schema', section: 'pre-data' });

    const copied = all.filter((t) => mode(t) === 'copy' && t.columns.length > 0);
    const task = (table: TableInfo, src: pg.Client, dst: pg.Client) =>
      copyTable({
        table,
        src,
        dst,
        key,
        policy,
        filter: filters.get(table.id),
        signal,
        emit,
        format: options.format,
        distinct: distinct.get(table.id),
      });
    const summary: SeedSummary['tables'] = [];
    const lane = async (tables: TableInfo[], src: () => Promise<pg.Client>) => {
      if (tables.length === 0) return;
      const [s, d] = [await src(), await open(targetUrl)];
      while (tables.length > 0) {
        const table = tables.shift() as TableInfo;
        summary.push({ table: table.id, rows: await task(table, s, d) });
      }
    };
    // Subsetted tables read the kept keys from this session's temp tables; the others are spread
    // over worker sessions that share the same snapshot.
    const subsetted = copied.filter((t) => filters.has(t.id));
    const whole = copied.filter((t) => !filters.has(t.id));
    const worker = async () => {
      const c = await open(sourceUrl);
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await c.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(snapshot)}`);
      return c;
    };
    const lanes = [
      lane(subsetted, async () => source),
      ...Array.from({ length: Math.max(1, options.concurrency ?? 2) }, () => lane(whole, worker)),
    ];
    // The first failure stops the other lanes; it (not their resulting aborts) is the one reported.
    let firstFailure: { error: unknown } | undefined;
    await Promise.all(
      lanes.map((p) =>
        p.catch((error: unknown) => {
          firstFailure ??= { error };
          abort.abort(error);
        }),
      ),
    );
    if (firstFailure) throw firstFailure.error;

    await restoreSection(targetUrl, file, 'post-data', { toolsDir: options.toolsDir, signal });
    emit({ type: 'schema', section: 'post-data' });
    emit({ type: 'sequences', count: await resetSequences(source, target) });
    await source.query('COMMIT');
    return { tables: summary, durationMs: Date.now() - started };
  } catch (err) {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    clients.length = 0;
    if (written) {
      // A fresh session: the ones above may be stuck mid-COPY.
      const cleaner = await connect(targetUrl).catch(() => undefined);
      if (cleaner) await clearTarget(cleaner).catch(() => undefined);
      await cleaner?.end().catch(() => undefined);
    }
    throw describe(err, options.signal);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(err: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) {
    return new SlipwayError(
      'operation-cancelled',
      'The masked copy was cancelled; the target database was left empty.',
      { hint: 'Run the seed again when ready.', cause: err },
    );
  }
  if (SlipwayError.is(err)) return err;
  return new SlipwayError('data-copy-failed', `Copying the masked data failed: ${(err as Error).message}`, {
    hint: 'The target database was left empty; fix the cause and seed again.',
    cause: err,
  });
}

/**
 * The source's statistics on distinct values (`pg_stats.n_distinct`), by table id and column:
 * they tell the masker which columns hardly repeat a value before it has seen any. Tables never
 * analysed have none; a table with partitions or children has them over all its rows (read last,
 * so they win).
 */
async function readDistinct(source: pg.Client): Promise<Map<string, Map<string, number>>> {
  const { rows } = await source.query<{ schema: string; table: string; column: string; n: number }>(
    `SELECT schemaname AS schema, tablename AS table, attname AS column, n_distinct AS n FROM pg_stats s
     WHERE ${SYSTEM_SCHEMA_SQL.replace(/n\.nspname/g, 's.schemaname')} ORDER BY inherited`,
  );
  const out = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const id = tableId(r.schema, r.table);
    let columns = out.get(id);
    if (!columns) out.set(id, (columns = new Map()));
    columns.set(r.column, Number(r.n));
  }
  return out;
}

interface CopyJob {
  table: TableInfo;
  src: pg.Client;
  dst: pg.Client;
  key: MaskingKey;
  policy: MaskingPolicy;
  filter?: string;
  signal: AbortSignal;
  emit: (e: SeedEvent) => void;
  format?: 'auto' | 'text';
  /** The source's `n_distinct` of the table's columns, by name. */
  distinct?: Map<string, number>;
}

/** Streams one table: COPY out of the source, mask row by row, COPY into the target. Returns the row count. */
async function copyTable(job: CopyJob): Promise<number> {
  const { table, src, dst, key, policy, filter, signal, emit, format } = job;
  const columns: MaskedColumn[] = table.columns.map((c) => ({
    name: c.name,
    type: c.type,
    transformer: ruleFor(policy, table.schema, table.name, c.name).transformer as Transformer,
    unique: c.unique,
    distinct: job.distinct?.get(c.name),
  }));
  const list = columns.map((c) => quoteIdent(c.name)).join(', ');
  const select = `SELECT ${columns.map((c) => `t.${quoteIdent(c.name)}`).join(', ')} FROM ${rowsOf(table)} t${filter ? ` WHERE ${filter}` : ''}`;
  let masker = new RowMasker(table.id, columns, key, table.uniqueSets);
  // Without cross-row state (unique columns watched for collisions) a big table is masked on
  // worker threads, which take COPY text in batches of lines; else it is masked here, in the
  // binary format where the table fits it.
  const pooled = masker.masksAnything && !masker.crossRow && maskThreads() > 0;
  const copyFormat: CopyFormat =
    format !== 'text' && !pooled && binaryCopyFits(table.columns, masker.needed) ? 'binary' : 'text';
  if (copyFormat === 'binary') masker = new RowMasker(table.id, columns, key, table.uniqueSets, 'binary');
  // Rows go in frozen (the table emptied in the same transaction, as COPY FREEZE requires): no
  // preview's first reads rewrite every page to set hint bits, and on a server with
  // wal_level=minimal (the snapshot server) the copy writes no WAL. A partitioned table cannot.
  const freeze = !table.partitioned;
  const as = copyFormat === 'binary' ? ' (FORMAT binary)' : '';
  const intoOptions = [...(copyFormat === 'binary' ? ['FORMAT binary'] : []), ...(freeze ? ['FREEZE'] : [])];
  const started = Date.now();
  let rows = 0;
  let last = started;
  const rate = () => Math.round(rows / Math.max(0.001, (Date.now() - started) / 1000));
  const onRows = (n: number) => {
    rows += n;
    if (Date.now() - last >= 1000) {
      last = Date.now();
      emit({ type: 'table', table: table.id, rows, rowsPerSecond: rate(), done: false });
    }
  };
  if (freeze) await dst.query(`BEGIN; TRUNCATE ONLY ${qualified(table)}`);
  const out = src.query(copyOut(`COPY (${select}) TO STDOUT${as}`));
  const into = dst.query(
    copyFrom(
      `COPY ${qualified(table)} (${list}) FROM STDIN${intoOptions.length ? ` (${intoOptions.join(', ')})` : ''}`,
    ),
  );
  try {
    const mask = pooled
      ? new ParallelMaskStream(
          masker,
          { table: table.id, columns, key: key.raw(), uniqueSets: table.uniqueSets },
          onRows,
        )
      : new MaskStream(masker, onRows);
    await pipeline(out, mask, into, { signal });
    if (freeze) await dst.query('COMMIT');
  } catch (err) {
    if (signal.aborted || SlipwayError.is(err)) throw err;
    const where = (err as { where?: string }).where;
    throw new SlipwayError(
      'data-copy-failed',
      `Copying ${table.id} failed: ${(err as Error).message}${where ? ` (${where.split('\n')[0]})` : ''}`,
      {
        hint: `Check the rules of ${table.id} in the masking policy: each transformer's output must be valid for its column's type. The target was left empty.`,
        cause: err,
      },
    );
  }
  emit({ type: 'table', table: table.id, rows, rowsPerSecond: rate(), done: true });
  return rows;
}
