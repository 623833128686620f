// Parallel gzip, as pigz does it: the input is cut at fixed offsets, each piece is deflated on its
// own (in zlib's thread pool, several at once) with the previous piece's last 32 KiB as its
// dictionary, and the raw deflate pieces are joined into one ordinary single-member gzip stream.
// Pieces end with a sync flush, so their concatenation is one valid deflate stream; the CRC-32
// is computed over the input in order. The cut points depend only on the input, so the same
// bytes always give the same output.
import { constants, deflateRaw, crc32 as nativeCrc32 } from 'node:zlib';

/** Input bytes per independently compressed piece. */
export const PIECE_SIZE = 1024 * 1024;
const WINDOW = 32 * 1024;

export interface ParallelGzipOptions {
  /** zlib level, 1 (fastest) to 9. */
  level?: number;
  /** Pieces compressed at once; defaults to 4 (libuv's default thread pool size). */
  parallelism?: number;
}

type Sink = (chunk: Buffer) => Promise<void> | void;

/**
 * A gzip writer fed with `write` and closed with `end`; compressed output reaches `sink` in
 * order. `write` resolves once the writer can take more input (backpressure).
 */
export class ParallelGzip {
  private readonly level: number;
  private readonly parallelism: number;
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private dictionary: Buffer | undefined;
  private crc = 0;
  private inputSize = 0;
  private inFlight: Promise<Buffer>[] = [];
  private headerWritten = false;

  constructor(
    private readonly sink: Sink,
    opts: ParallelGzipOptions = {},
  ) {
    this.level = opts.level ?? 1;
    this.parallelism = Math.max(1, opts.parallelism ?? 4);
  }

  async write(chunk: Buffer): Promise<void> {
    this.crc = crc32(chunk, this.crc);
    this.inputSize += chunk.length;
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    while (this.pendingSize >= PIECE_SIZE) {
      const all = Buffer.concat(this.pending, this.pendingSize);
      const piece = all.subarray(0, PIECE_SIZE);
      const rest = all.subarray(PIECE_SIZE);
      this.pending = rest.length ? [rest] : [];
      this.pendingSize = rest.length;
      await this.dispatch(piece, false);
    }
  }

  async end(): Promise<void> {
    await this.dispatch(Buffer.concat(this.pending, this.pendingSize), true);
    this.pending = [];
    this.pendingSize = 0;
    while (this.inFlight.length) await this.emit(await this.inFlight.shift()!);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.inputSize % 2 ** 32, 4);
    await this.sink(trailer);
  }

  private async dispatch(piece: Buffer, last: boolean): Promise<void> {
    const dictionary = this.dictionary;
    this.dictionary = Buffer.from(piece.subarray(Math.max(0, piece.length - WINDOW)));
    const compressed = new Promise<Buffer>((resolve, reject) =>
      deflateRaw(
        piece,
        {
          level: this.level,
          // One output buffer for the whole piece: zlib's default 16 KiB output chunks each
          // cost a trip back to the main thread.
          chunkSize: piece.length + (piece.length >> 3) + 1024,
          ...(dictionary?.length ? { dictionary } : {}),
          finishFlush: last ? constants.Z_FINISH : constants.Z_SYNC_FLUSH,
        },
        (err, out) => (err ? reject(err) : resolve(out)),
      ),
    );
    // Awaited in order by emit; until then a failure must not count as unhandled.
    compressed.catch(() => {});
    this.inFlight.push(compressed);
    while (this.inFlight.length >= this.parallelism) await this.emit(await this.inFlight.shift()!);
  }

  private async emit(compressed: Buffer): Promise<void> {
    if (!this.headerWritten) {
      this.headerWritten = true;
      await this.sink(gzipHeader(this.level));
    }
    await this.sink(compressed);
  }
}

/** RFC 1952 header: deflate, no name, mtime 0, OS "unix", XFL as zlib sets it for the level. */
function gzipHeader(level: number): Buffer {
  const xfl = level === 1 ? 4 : level === 9 ? 2 : 0;
  return Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 3]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** zlib.crc32 where Node has it (≥ 20.15), else a table-driven one. */
function crc32(data: Buffer, value: number): number {
  if (typeof nativeCrc32 === 'function') return nativeCrc32(data, value);
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
