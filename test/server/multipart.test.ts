// The upload parser on its own: whatever way the body is cut into chunks (a delimiter split
// across two reads, one byte at a time), it yields the same fields and file bytes; bodies that
// are truncated, oversized or carry too many parts are refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PyvetError } from '../../src/errors.js';
import { DEFAULT_LIMITS, parseMultipart } from '../../src/server/multipart.js';
import { tempDir } from '../helpers/paths.js';

const BOUNDARY = '----pyvetBoundary7MA4YWxkTrZu0gW';

function body(fields: [string, string][], file: Buffer, filename = 'demo-1.0-py3-none-any.whl'): Buffer {
  const parts: Buffer[] = [Buffer.from('preamble to ignore\r\n')];
  for (const [k, v] of fields) {
    parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  );
  return Buffer.concat(parts);
}

async function* chunks(data: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of [...new Set(cuts.map((x) => x % (data.length + 1)))].sort((a, b) => a - b)) {
    if (c > at) yield data.subarray(at, c);
    at = Math.max(at, c);
  }
  if (at < data.length) yield data.subarray(at);
}

const limits = { ...DEFAULT_LIMITS, maxFileBytes: 1024 * 1024 };

describe('multipart parser', () => {
  it('gives the same fields and file bytes however the body is chunked', async () => {
    const tmp = tempDir('pyvet-mp-');
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ minLength: 0, maxLength: 3000 }),
          fc.array(fc.nat(), { maxLength: 40 }),
          fc.string({ maxLength: 50 }).filter((s) => !s.includes('\r') && !s.includes(BOUNDARY)),
          async (fileBytes, cuts, summary) => {
            // A file that contains the delimiter minus one byte must not end the part early.
            const file = Buffer.concat([Buffer.from(fileBytes), Buffer.from(`\r\n--${BOUNDARY.slice(0, -1)}`)]);
            const data = body(
              [
                [':action', 'file_upload'],
                ['classifiers', 'A'],
                ['classifiers', 'B'],
                ['summary', summary],
              ],
              file,
            );
            const dir = `${tmp.path}/${n++}`;
            mkdirSync(dir);
            const r = await parseMultipart(chunks(data, cuts), BOUNDARY, dir, limits);
            assert.deepEqual(r.fields.get(':action'), ['file_upload']);
            assert.deepEqual(r.fields.get('classifiers'), ['A', 'B']);
            assert.deepEqual(r.fields.get('summary'), [summary]);
            assert.equal(r.file?.size, file.length);
            assert.deepEqual(readFileSync(r.file!.path), file);
          },
        ),
        { numRuns: 150 },
      );
      // One byte at a time.
      const file = randomBytes(700);
      const data = body([['name', 'demo']], file);
      const dir = `${tmp.path}/bytewise`;
      mkdirSync(dir);
      const r = await parseMultipart(chunks(data, [...data.keys()]), BOUNDARY, dir, limits);
      assert.deepEqual(readFileSync(r.file!.path), file);
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses truncated bodies, oversized files and fields, and too many parts', async () => {
    const tmp = tempDir('pyvet-mp-');
    const refuse = async (data: Buffer, code: string, lim = limits) => {
      const dir = `${tmp.path}/${code}-${Math.random()}`;
      mkdirSync(dir);
      await assert.rejects(
        parseMultipart(chunks(data, [7, 100]), BOUNDARY, dir, lim),
        (e: unknown) => e instanceof PyvetError && e.code === code && e.kind === 'invalid',
      );
    };
    try {
      const full = body([['name', 'demo']], randomBytes(5000));
      await refuse(full.subarray(0, full.length - 10), 'MULTIPART_INVALID');
      await refuse(full, 'UPLOAD_TOO_LARGE', { ...limits, maxFileBytes: 4999 });
      await refuse(body([['description', 'x'.repeat(2000)]], Buffer.alloc(1)), 'MULTIPART_INVALID', { ...limits, maxFieldBytes: 1000 });
      const many = body(
        Array.from({ length: 20 }, (_, i) => [`f${i}`, 'v'] as [string, string]),
        Buffer.alloc(1),
      );
      await refuse(many, 'MULTIPART_INVALID', { ...limits, maxParts: 10 });
      await refuse(body([], Buffer.alloc(1), '../../etc/passwd'), 'UPLOAD_FILENAME_INVALID');
      const twice = Buffer.concat([body([], Buffer.alloc(1)).subarray(0, -(BOUNDARY.length + 6)), body([], Buffer.alloc(1)).subarray(20)]);
      await refuse(twice, 'MULTIPART_INVALID');
    } finally {
      tmp.cleanup();
    }
  });
});
