import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { ParallelGzip, PIECE_SIZE } from '../../src/source/pgzip.js';

/** Half text, half noise: compressible, but not trivially. */
function sample(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 64 < 32 ? 97 + (i % 26) : x >>> 24;
  }
  return out;
}

async function gzip(input: Buffer, writeSize: number, parallelism: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const gz = new ParallelGzip((chunk) => void parts.push(chunk), { parallelism });
  for (let off = 0; off < input.length; off += writeSize)
    await gz.write(input.subarray(off, off + writeSize));
  await gz.end();
  return Buffer.concat(parts);
}

const sizes = [0, 1, 4096, PIECE_SIZE - 1, PIECE_SIZE, PIECE_SIZE + 1, Math.floor(3.5 * PIECE_SIZE)];

test('parallel gzip output is one gzip member that gunzip and the gzip tool restore exactly', async () => {
  for (const size of sizes) {
    const input = sample(size, size + 1);
    const out = await gzip(input, 300_007, 4);
    assert.deepEqual([...out.subarray(0, 4)], [0x1f, 0x8b, 8, 0], 'gzip magic, deflate, no flags');
    assert.equal(out.readUInt32LE(4), 0, 'no timestamp');
    assert.ok(gunzipSync(out).equals(input), `zlib round trip of ${size} bytes`);
    assert.ok(
      execFileSync('gzip', ['-dc'], { input: out, maxBuffer: 8 * PIECE_SIZE }).equals(input),
      `gzip -dc, ${size} bytes`,
    );
    if (size > PIECE_SIZE) assert.ok(out.length < size * 0.8, 'pieces are compressed, not stored');
  }
});

test('the same input gives the same bytes whatever the write sizes and parallelism', async () => {
  const input = sample(Math.floor(2.7 * PIECE_SIZE), 42);
  const reference = await gzip(input, input.length, 1);
  assert.ok((await gzip(input, 1000, 4)).equals(reference));
  assert.ok((await gzip(input, PIECE_SIZE, 8)).equals(reference));
  const other = Buffer.from(input);
  other[other.length - 1]! ^= 1;
  assert.ok(!(await gzip(other, 1000, 4)).equals(reference), 'a changed byte changes the output');
});

test('a failing sink fails the writer', async () => {
  const gz = new ParallelGzip(() => {
    throw new Error('disk full');
  });
  await assert.rejects(async () => {
    await gz.write(sample(3 * PIECE_SIZE, 7));
    await gz.end();
  }, /disk full/);
});
