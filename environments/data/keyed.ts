/** Keyed determinism for masking: HMAC-SHA256 under the project key, so equal inputs mask alike in every table and run. */
import { KeyedSha256 } from './hmac-sha256';
import { BatchHmac } from './hmac-batch';

export class MaskingKey {
  private readonly hmac: KeyedSha256;
  /** The UTF-8 bytes of each kind's first-attempt prefix, encoded once. */
  private readonly prefixes = new Map<string, Buffer>();

  readonly #raw: Buffer;

  constructor(key: string | Buffer) {
    const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (bytes.length < 16) throw new RangeError('A masking key has at least 16 bytes.');
    this.hmac = new KeyedSha256(bytes);
    this.#raw = Buffer.from(bytes);
  }

  /** The key's bytes, for the masking worker threads of this process (never written anywhere). */
  raw(): Buffer {
    return Buffer.from(this.#raw);
  }

  /**
   * The keyed digest of a value for one kind of transformer. Only the kind, the value and the
   * attempt (collision resolution of unique columns) go in: never the table or column, so the
   * same value masks the same wherever it appears.
   */
  digest(kind: string, value: string, attempt = 0): Buffer {
    if (attempt !== 0) return this.hmac.digest(value, `${kind}\0${attempt}\0`);
    return this.hmac.digest(value, this.prefix(kind));
  }

  /** The UTF-8 bytes that go before a value in `digest(kind, value)`. */
  prefix(kind: string): Buffer {
    let prefix = this.prefixes.get(kind);
    if (prefix === undefined) {
      prefix = Buffer.from(`${kind}\u00000\u0000`, 'utf8');
      if (this.prefixes.size < 1024) this.prefixes.set(kind, prefix);
    }
    return prefix;
  }

  /**
   * `digest(kind, value)` for values given as their UTF-8 bytes (`from`..`to` of `data`), without
   * decoding them. Each call's digest is written into one buffer that the next call overwrites:
   * read it before masking another value.
   */
  bytesDigest(kind: string): (data: Uint8Array, from: number, to: number) => Buffer {
    return this.hmac.prefixed(this.prefix(kind));
  }

  /**
   * A new batch that computes many `digest`s at once (four at a time, on WebAssembly SIMD), or
   * undefined where the runtime has no SIMD. Each stream keeps its own.
   */
  batch(): BatchHmac | undefined {
    return process.env.SLIPWAY_MASK_BATCH === '0' ? undefined : BatchHmac.create(this.#raw);
  }

  /** `length` keyed bytes (a counter-mode stream of digests). */
  bytes(kind: string, value: string, attempt: number, length: number): Buffer {
    const blocks: Buffer[] = [];
    for (let i = 0; blocks.length * 32 < length; i++) blocks.push(this.digest(`${kind}#${i}`, value, attempt));
    return Buffer.concat(blocks).subarray(0, length);
  }

  /** A keyed number in [0, 1). */
  unit(kind: string, value: string, attempt = 0): number {
    return this.digest(kind, value, attempt).readUIntBE(0, 6) / 2 ** 48;
  }
}
