import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { MaskStream } from '../../environments/data/copy-text';
import { MaskingKey } from '../../environments/data/keyed';
import { ParallelMaskStream } from '../../environments/data/mask-pool';
import type { Transformer } from '../../environments/data/policy';
import { RowMasker, type MaskedColumn } from '../../environments/data/transformers';

const KEY = new MaskingKey('project-key-0123456789');
const keep: Transformer = { kind: 'keep', reviewed: false };
const COLUMNS: MaskedColumn[] = [
  { name: 'id', type: 'int8', transformer: keep, unique: true },
  { name: 'first_name', type: 'text', transformer: { kind: 'fake', fake: 'firstName' }, unique: false },
  { name: 'email', type: 'text', transformer: { kind: 'fake', fake: 'email' }, unique: false },
  { name: 'phone', type: 'text', transformer: { kind: 'scramble' }, unique: false },
  { name: 'note', type: 'text', transformer: { kind: 'regex', pattern: /\d+/g, replace: '#' }, unique: false },
];

/** Chunks of COPY text, 64 kB each, cut anywhere (inside lines and characters). */
function table(rows: number, bad?: number): Buffer[] {
  const lines: string[] = [];
  for (let i = 1; i <= rows; i++)
    lines.push(
      i === bad ? '1\tonly\ttwo\n' : `${i}\tFirst${i % 300}\tperson${i}@mail.test\t+44 7700 ${i % 9999}\tZoë\\t${i}\n`,
    );
  const all = Buffer.from(lines.join(''));
  const chunks: Buffer[] = [];
  for (let at = 0; at < all.length; at += 65_536) chunks.push(all.subarray(at, at + 65_536));
  return chunks;
}

/** Masks `chunks` through `stream`; a parallel stream gets its workers ready after the first 5 MB (threads start slowly on a busy machine). */
async function run(stream: MaskStream | ParallelMaskStream, chunks: Buffer[]): Promise<string[]> {
  const out: Buffer[] = [];
  // One chunk per turn of the event loop, as a socket gives them (workers report ready between).
  let next = 0;
  const source = new Readable({
    read() {
      const push = () => {
        if (stream instanceof ParallelMaskStream && next === 80 && stream.readyWorkers === 0) setTimeout(push, 20);
        else this.push(next < chunks.length ? chunks[next++] : null);
      };
      setImmediate(push);
    },
  });
  await pipeline(
    source,
    stream,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(out).toString('utf8').split('\n').slice(0, -1);
}

const job = (columns = COLUMNS) => ({ table: 't', columns, key: KEY.raw(), uniqueSets: [] });

describe('masking a big table on worker threads', function () {
  this.timeout(60_000);

  it('gives every row exactly as one thread masks it (in any order), with rows counted', async () => {
    const chunks = table(120_000); // about 7 MB: past the point where workers start
    const want = await run(new MaskStream(new RowMasker('t', COLUMNS, KEY), () => undefined), chunks);
    let counted = 0;
    const parallel = new ParallelMaskStream(new RowMasker('t', COLUMNS, KEY), job(), (n) => (counted += n), 2);
    const got = await run(parallel, chunks);
    assert.equal(counted, 120_000);
    assert.ok(parallel.workerBatches > 0, 'some batches were masked on worker threads');
    assert.equal(got.length, want.length);
    assert.notDeepEqual(got.slice(0, 3), chunks[0].toString().split('\n').slice(0, 3), 'rows are masked');
    assert.deepEqual([...got].sort(), [...want].sort());
  });

  it('a worker that meets a bad row fails the copy with the masker own error', async () => {
    const chunks = table(120_000, 100_000); // past the first 4 MB: on a worker
    const parallel = new ParallelMaskStream(new RowMasker('t', COLUMNS, KEY), job(), () => undefined, 2);
    await assert.rejects(run(parallel, chunks), /3 fields where the table has 5 columns/);
  });

  it('refuses a table whose unique masked column needs one place to check collisions', () => {
    const unique = COLUMNS.map((c) => (c.name === 'email' ? { ...c, unique: true } : c));
    const masker = new RowMasker('t', unique, KEY);
    assert.equal(masker.crossRow, true);
    assert.throws(() => new ParallelMaskStream(masker, job(unique), () => undefined, 2));
  });
});
