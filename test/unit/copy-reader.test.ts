import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { to as copyTo } from 'pg-copy-streams';
import { copyOut } from '../../environments/data/copy-reader';

/** One backend message: its code, its length (itself included) and its body. */
const message = (code: string, body: Buffer = Buffer.alloc(0)): Buffer => {
  const head = Buffer.alloc(5);
  head.write(code, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const copyOutResponse = message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0]));
const parameterStatus = message('S', Buffer.from('application_name\0slipway\0'));
const row = (s: string) => message('d', Buffer.from(s));
const copyDone = message('c');
const commandComplete = message('C', Buffer.from('COPY 3\0'));
const readyForQuery = message('Z', Buffer.from('I'));
const errorResponse = message('E', Buffer.from('SERROR\0C57014\0Mcanceling statement\0\0'));

const ROWS = ['1\tAda\tLovelace\n', '2\tAlan\tTuring\n', `3\t${'x'.repeat(300)}\t\\N\n`];
/** A COPY out as the server sends it, a message among the rows included, and what follows it for the pg client. */
const COPY = Buffer.concat([copyOutResponse, row(ROWS[0]), parameterStatus, row(ROWS[1]), row(ROWS[2]), copyDone]);
const AFTER = Buffer.concat([commandComplete, readyForQuery]);

interface Outcome {
  rows: string;
  /** The bytes handed back to the pg client's own reader. */
  client: string;
  ended: boolean;
}

/** Feeds `pieces` to `stream` as a pg connection's socket reads; resolves with what came out each way. */
async function feed(stream: ReturnType<typeof copyTo>, pieces: Buffer[]): Promise<Outcome> {
  const socket = new PassThrough();
  const client: Buffer[] = [];
  socket.on('data', (b: Buffer) => client.push(Buffer.from(b)));
  const rows: Buffer[] = [];
  let ended = false;
  stream.on('data', (b: Buffer) => rows.push(Buffer.from(b)));
  stream.on('end', () => (ended = true));
  (stream as unknown as { submit(c: unknown): void }).submit({ stream: socket, query: () => undefined });
  for (const p of pieces) {
    // A socket read's own bytes, as the reader moves rows down inside them.
    socket.write(Buffer.from(p));
    await new Promise((r) => setImmediate(r));
  }
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return { rows: Buffer.concat(rows).toString(), client: Buffer.concat(client).toString('latin1'), ended };
}

/** `bytes` cut at each place in `cuts`. */
const cut = (bytes: Buffer, cuts: number[]): Buffer[] =>
  [0, ...cuts, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));

describe('COPY out reader', () => {
  it('gives the rows and hands what follows the copy back, wherever the socket reads cut the messages', async () => {
    const all = Buffer.concat([COPY, AFTER]);
    for (let at = 1; at < all.length; at++) {
      const got = await feed(copyOut('COPY t TO STDOUT'), cut(all, [at]));
      assert.equal(got.rows, ROWS.join(''), `cut at ${at}`);
      assert.equal(got.client, AFTER.toString('latin1'), `cut at ${at}`);
      assert.ok(got.ended, `cut at ${at}`);
    }
  });

  it('is the same as pg-copy-streams’ own reader for reads of one to seven bytes', async () => {
    const all = Buffer.concat([COPY, AFTER]);
    for (let seed = 1; seed <= 40; seed++) {
      const cuts: number[] = [];
      for (let at = 0, s = seed; ;) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        at += 1 + (s % 7);
        if (at >= all.length) break;
        cuts.push(at);
      }
      const mine = await feed(copyOut('COPY t TO STDOUT'), cut(all, cuts));
      const library = await feed(copyTo('COPY t TO STDOUT'), cut(all, cuts));
      assert.deepEqual(mine, library, `reads cut at ${cuts.join(',')}`);
      assert.equal(mine.rows, ROWS.join(''));
    }
  });

  it('leaves an error among the rows to the pg client, as the library does', async () => {
    const all = Buffer.concat([copyOutResponse, row(ROWS[0]), row(ROWS[1]), errorResponse, readyForQuery]);
    const error = Buffer.concat([errorResponse, readyForQuery]).toString('latin1');
    for (let at = 1; at < all.length; at++) {
      const mine = await feed(copyOut('COPY t TO STDOUT'), cut(all, [at]));
      const library = await feed(copyTo('COPY t TO STDOUT'), cut(all, [at]));
      assert.equal(mine.client, error, `cut at ${at}`);
      assert.equal(mine.ended, false, `cut at ${at}`);
      assert.deepEqual(mine, library, `cut at ${at}`);
    }
  });

  it('moves the rows of one read over their headers in place: one buffer out per read', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => `${i}\tname ${i}\n`);
    const bytes = Buffer.concat([copyOutResponse, ...many.map(row), copyDone, AFTER]);
    const stream = copyOut('COPY t TO STDOUT');
    let pushes = 0;
    stream.on('data', () => pushes++);
    const got = await feed(stream, cut(bytes, [bytes.length >> 1]));
    assert.equal(got.rows, many.join(''));
    assert.equal(pushes, 2);
  });
});
