// A small, strict, bounded multipart/form-data parser for the legacy upload API. Twine sends a
// few dozen text fields and one file part (`content`); the file streams to disk, so memory stays
// flat whatever its size. Anything malformed or over a limit is a 400.
import { Digester, type Digests } from '../artifacts/digests.js';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { PyvetError } from '../errors.js';

export interface MultipartLimits {
  /** Most parts in one body. */
  maxParts: number;
  /** Largest text field (long descriptions can be a few hundred KB). */
  maxFieldBytes: number;
  /** Largest sum of all text fields. */
  maxFieldsBytes: number;
  /** Largest file part. */
  maxFileBytes: number;
  /** Largest header block of one part. */
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: Omit<MultipartLimits, 'maxFileBytes'> = {
  maxParts: 256,
  maxFieldBytes: 4 * 1024 * 1024,
  maxFieldsBytes: 8 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
};

export interface UploadedFile {
  /** The client's filename, checked to be a plain file name. */
  filename: string;
  /** Where the bytes were written: <dir>/<filename>. */
  path: string;
  size: number;
  /** Taken on the bytes as they were written, so nothing reads the file again to hash it. */
  digests: Digests;
}

export interface MultipartResult {
  fields: Map<string, string[]>;
  file: UploadedFile | undefined;
}

function invalid(message: string, details?: Record<string, unknown>): PyvetError {
  return new PyvetError('MULTIPART_INVALID', 'invalid', `upload body: ${message}`, details);
}

/** The boundary of a multipart/form-data Content-Type, or a MULTIPART_INVALID error. */
export function boundaryOf(contentType: string | undefined): string {
  const m = /^multipart\/form-data\s*;.*?\bboundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '');
  if (!m) throw invalid(`expected multipart/form-data with a boundary, got ${JSON.stringify(contentType ?? '')}`);
  return (m[1] ?? m[2])!;
}

/** A plain file name: no directory part, no control characters, not '.' or '..'. */
function safeFilename(name: string): string {
  if (!/^[^/\\\0-\x1f]{1,255}$/.test(name) || name === '.' || name === '..') {
    throw new PyvetError('UPLOAD_FILENAME_INVALID', 'invalid', `upload filename ${JSON.stringify(name)} is not a plain file name`, {
      filename: name,
    });
  }
  return name;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Parses a multipart body. Text parts become `fields` (repeatable: classifiers); the part named
 * `fileField` is written to `dir`. The caller owns `dir` and removes it.
 */
export async function parseMultipart(
  body: AsyncIterable<Buffer>,
  boundary: string,
  dir: string,
  limits: MultipartLimits,
  fileField = 'content',
): Promise<MultipartResult> {
  // Prefixing CRLF lets the first boundary match the same delimiter as every later one.
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  const keep = delimiter.length - 1;
  const fields = new Map<string, string[]>();
  let file: UploadedFile | undefined;
  let buf: Buffer = Buffer.from(CRLF);
  type State = 'preamble' | 'delimiter' | 'headers' | 'body' | 'done';
  // (cast: the steps below change it inside a closure, which narrowing cannot see)
  let state: State = 'preamble' as State;
  let parts = 0;
  let fieldsBytes = 0;
  // The part being read.
  let name = '';
  let chunks: Buffer[] = [];
  let partBytes = 0;
  let sink: Awaited<ReturnType<typeof open>> | undefined;
  let digester: Digester | undefined;

  const feed = async (data: Buffer): Promise<void> => {
    if (data.length === 0) return;
    partBytes += data.length;
    if (sink) {
      if (partBytes > limits.maxFileBytes) {
        throw new PyvetError('UPLOAD_TOO_LARGE', 'invalid', `the uploaded file is larger than the limit of ${limits.maxFileBytes} bytes`, {
          limit: limits.maxFileBytes,
        });
      }
      digester?.update(data);
      await sink.write(data);
      return;
    }
    fieldsBytes += data.length;
    if (partBytes > limits.maxFieldBytes || fieldsBytes > limits.maxFieldsBytes) {
      throw invalid(`field ${JSON.stringify(name)} makes the form larger than allowed`, { field: name });
    }
    chunks.push(Buffer.from(data));
  };

  const startPart = async (headerBlock: string): Promise<void> => {
    if (++parts > limits.maxParts) throw invalid(`more than ${limits.maxParts} parts`);
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headerBlock)?.[1];
    const fieldName = disposition && /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (!fieldName) throw invalid('a part has no Content-Disposition: form-data name');
    name = fieldName;
    chunks = [];
    partBytes = 0;
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name === fileField) {
      if (file || sink) throw invalid(`more than one ${JSON.stringify(fileField)} part`);
      if (filename === undefined) throw invalid(`the ${JSON.stringify(fileField)} part has no filename`);
      const safe = safeFilename(filename);
      sink = await open(join(dir, safe), 'wx');
      digester = new Digester();
      file = { filename: safe, path: join(dir, safe), size: 0, digests: { sha256: '', md5: '', blake2b256: '', size: 0 } };
    }
  };

  const endPart = async (): Promise<void> => {
    if (sink && file) {
      await sink.close();
      sink = undefined;
      file.size = partBytes;
      file.digests = digester!.digest();
      return;
    }
    const values = fields.get(name) ?? [];
    values.push(Buffer.concat(chunks).toString('utf8'));
    fields.set(name, values);
  };

  const step = async (): Promise<boolean> => {
    switch (state) {
      case 'preamble':
      case 'body': {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          if (state === 'body') await feed(buf.subarray(0, Math.max(0, buf.length - keep)));
          buf = buf.subarray(Math.max(0, buf.length - keep));
          return false;
        }
        if (state === 'body') {
          await feed(buf.subarray(0, at));
          await endPart();
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'delimiter';
        return true;
      }
      case 'delimiter': {
        if (buf.length < 2) return false;
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          state = 'done';
          return false;
        }
        if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw invalid('malformed boundary line');
        buf = buf.subarray(2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        const at = buf.indexOf(HEADER_END);
        if (at < 0) {
          if (buf.length > limits.maxHeaderBytes) throw invalid('part headers too large');
          return false;
        }
        if (at > limits.maxHeaderBytes) throw invalid('part headers too large');
        await startPart(buf.subarray(0, at).toString('utf8'));
        buf = buf.subarray(at + HEADER_END.length);
        state = 'body';
        return true;
      }
      case 'done':
        return false;
    }
  };

  try {
    for await (const chunk of body) {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (await step()) {
        // each step consumes a delimiter, a header block or body bytes
      }
      if (state === 'done') break;
    }
    if (state !== 'done') throw invalid('the body ends before its closing boundary');
  } finally {
    await sink?.close();
  }
  return { fields, file };
}
