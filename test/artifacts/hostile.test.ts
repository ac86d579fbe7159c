// Hostile and broken archives, each built byte by byte (test/helpers/archives.ts), must be
// refused with their exact stable code; the valid builds beside them prove that each refusal
// comes from the one thing that was broken.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { type ArtifactLimits, type ArtifactReport, artifactLimits, inspectArtifact } from '../../src/artifacts/index.js';
import { ZIP_TUNING } from '../../src/artifacts/zip.js';
import { defaultConfig } from '../../src/config.js';
import { PyvetError } from '../../src/errors.js';
import {
  buildOverlappingZip,
  buildSdist,
  buildTarGz,
  buildTarGzBomb,
  buildWheel,
  buildZip,
  coreMetadata,
  deflateBomb,
  type SdistSpec,
  unicodePathExtra,
  type WheelSpec,
  writeArchive,
  zerosCrc32,
} from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';

const dir = tempDir('pyvet-hostile-');
after(dir.cleanup);
const LIMITS = artifactLimits(defaultConfig().limits);
const GB = 1024 ** 3;

// Every archive goes through both engines, each reading the file both ways (into memory at
// once, as archives up to 64 MiB are, and through the descriptor, as larger ones are). They must
// all give the same report or the same error.
const ENGINES = [
  ...(ZIP_TUNING.native
    ? [
        { native: true, wholeFileBytes: ZIP_TUNING.wholeFileBytes },
        { native: true, wholeFileBytes: 0 },
      ]
    : []),
  { native: false, wholeFileBytes: ZIP_TUNING.wholeFileBytes },
  { native: false, wholeFileBytes: 0 },
];

async function inspectBytes(
  filename: string,
  bytes: Buffer,
  limits: Partial<ArtifactLimits> = {},
  expectedSha256?: string,
): Promise<ArtifactReport> {
  const path = writeArchive(dir.path, filename, bytes);
  const saved = { native: ZIP_TUNING.native, wholeFileBytes: ZIP_TUNING.wholeFileBytes };
  const outcomes: ({ report: ArtifactReport } | { error: unknown })[] = [];
  for (const engine of ENGINES) {
    Object.assign(ZIP_TUNING, engine);
    try {
      outcomes.push({ report: await inspectArtifact(path, { limits: { ...LIMITS, ...limits }, ...(expectedSha256 ? { expectedSha256 } : {}) }) });
    } catch (error) {
      outcomes.push({ error });
    } finally {
      Object.assign(ZIP_TUNING, saved);
    }
  }
  const [first, ...others] = outcomes;
  for (const other of others) {
    if ('report' in first! && 'report' in other) assert.deepEqual(other.report, first.report, 'the engines disagree');
    else if ('error' in first! && 'error' in other) {
      const [a, b] = [first.error as PyvetError, other.error as PyvetError];
      assert.deepEqual([b.code, b.message], [a.code, a.message], 'the engines refuse differently');
    } else assert.fail(`one engine refused and the other did not: ${String('error' in first! ? first.error : (other as { error: unknown }).error)}`);
  }
  if ('error' in first!) throw first.error;
  return first!.report;
}

async function refused(
  code: string,
  filename: string,
  bytes: Buffer,
  limits: Partial<ArtifactLimits> = {},
  expectedSha256?: string,
): Promise<PyvetError> {
  let error: unknown;
  try {
    await inspectBytes(filename, bytes, limits, expectedSha256);
  } catch (err) {
    error = err;
  }
  assert.ok(error instanceof PyvetError, `expected ${code}, got ${error === undefined ? 'success' : String(error)}`);
  assert.equal(error.code, code, error.message);
  assert.ok(error.message.startsWith(`${filename}: `), error.message);
  return error;
}

/** Runs `fn` with members over 1 MB inflated as streams (the path of members over 64 MiB). */
async function streaming<T>(fn: () => Promise<T>): Promise<T> {
  const saved = ZIP_TUNING.wholeMemberBytes;
  ZIP_TUNING.wholeMemberBytes = 1024 * 1024;
  try {
    return await fn();
  } finally {
    ZIP_TUNING.wholeMemberBytes = saved;
  }
}

const wheel = (spec: Partial<WheelSpec> = {}) => buildWheel({ name: 'demo', version: '1.0', ...spec });
const sdist = (spec: Partial<SdistSpec> = {}) => buildSdist({ name: 'demo', version: '1.0', ...spec });
const refuseWheel = (code: string, spec: Partial<WheelSpec>, limits: Partial<ArtifactLimits> = {}) => {
  const w = wheel(spec);
  return refused(code, w.filename, w.bytes, limits);
};
const refuseSdist = async (code: string, spec: Partial<SdistSpec>, limits: Partial<ArtifactLimits> = {}) => {
  const s = await sdist(spec);
  return refused(code, s.filename, s.bytes, limits);
};
/** A RECORD row for a member whose bytes will never be compared (the archive fails first). */
const listed = (path: string, size: number) => (rows: string[][]) => [[path, `sha256=${'A'.repeat(43)}`, String(size)], ...rows];

describe('valid builds pass', () => {
  test('metadata quirks builders wrote for years are noted, not failed; invalid fields installers read fail', async () => {
    const check = (r: ArtifactReport, name: string) => r.integrity.checks.find((c) => c.check === name);
    const quirks = wheel({ metadataLines: ['License-File: LICENSE', 'X-Generator: old'] });
    const q = await inspectBytes(quirks.filename, quirks.bytes);
    assert.equal(check(q, 'metadata-valid')?.ok, true);
    const legacy = check(q, 'metadata-legacy')?.detail ?? '';
    assert.match(legacy, /license-file introduced in metadata version 2\.4, not 2\.1/);
    assert.match(legacy, /x-generator: unrecognized field/);
    const v20 = wheel({ metadata: coreMetadata('demo', '1.0').replace('Metadata-Version: 2.1', 'Metadata-Version: 2.0') });
    const r20 = await inspectBytes(v20.filename, v20.bytes);
    assert.equal(check(r20, 'metadata-valid')?.ok, true);
    assert.match(check(r20, 'metadata-legacy')?.detail ?? '', /'2\.0' is not a valid metadata version/);
    for (const bad of [['Requires-Python: >=3..7'], ['Requires-Dist: six>=>1']]) {
      const w = wheel({ metadataLines: bad });
      assert.equal(check(await inspectBytes(w.filename, w.bytes), 'metadata-valid')?.ok, false, bad[0]);
    }
    const v3 = wheel({ metadata: coreMetadata('demo', '1.0').replace('Metadata-Version: 2.1', 'Metadata-Version: 3.0') });
    assert.equal(check(await inspectBytes(v3.filename, v3.bytes), 'metadata-valid')?.ok, false, 'an unknown future version is not a quirk');
  });

  test('a few MB of zeros, as real wheels ship test data (onnx: 2.5 MB at 1016:1), is not a bomb', async () => {
    const zeros = 4 * 1024 * 1024;
    const w = wheel({ files: { 'demo/tensor.pb': Buffer.alloc(zeros) } });
    assert.ok(w.bytes.length * LIMITS.maxCompressionRatio < zeros, 'over the ratio');
    const r = await inspectBytes(w.filename, w.bytes);
    assert.equal(r.name, 'demo');
  });

  test('a built wheel inspects cleanly', async () => {
    const metadata = coreMetadata('demo', '1.0', ['Requires-Dist: six>=1.0', 'Provides-Extra: Fast_Mode', 'License-Expression: mit']).replace(
      'Metadata-Version: 2.1',
      'Metadata-Version: 2.4',
    );
    const w = wheel({ metadata });
    const r = await inspectBytes(w.filename, w.bytes);
    assert.equal(r.kind, 'wheel');
    assert.equal(r.name, 'demo');
    assert.equal(r.version, '1.0');
    assert.deepEqual(r.tags, ['py3-none-any']);
    assert.deepEqual(r.requiresDist, ['six>=1.0']);
    assert.deepEqual(r.providesExtra, ['fast-mode']);
    assert.equal(r.license, 'MIT');
    assert.equal(r.metadataBytes.toString(), metadata);
    const record = r.integrity.checks.find((c) => c.check === 'record-hashes');
    assert.deepEqual(record, { check: 'record-hashes', ok: true, detail: '3 members' });
    const archive = r.integrity.checks.find((c) => c.check === 'archive');
    assert.match(archive?.detail ?? '', /^4 members, \d+ bytes inflated, within limits$/);
  });

  test('members larger than the in-memory path stream through, twice in a row', async () => {
    const w = wheel({ files: { 'demo/noise.bin': randomBytes(5 * 1024 * 1024), 'demo/text.txt': randomBytes(3_500_000).toString('base64') } });
    for (let i = 0; i < 2; i++) {
      const whole = await inspectBytes(w.filename, w.bytes);
      const streamed = await streaming(() => inspectBytes(w.filename, w.bytes));
      assert.deepEqual(streamed, whole);
      assert.deepEqual(whole.integrity.checks.find((c) => c.check === 'record-hashes')?.detail, '5 members');
    }
  });

  test('no file descriptor is left open, whatever the outcome', { skip: !existsSync('/proc/self/fd') }, async () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const cases = [wheel(), wheel({ record: (rows) => rows.slice(1) }), wheel({ extraEntries: [{ name: '../x', data: '' }] })];
    const tar = await sdist();
    await inspectBytes(tar.filename, tar.bytes);
    const before = open();
    for (let i = 0; i < 5; i++) {
      for (const c of cases) await inspectBytes(c.filename, c.bytes).catch(() => {});
      await inspectBytes(tar.filename, tar.bytes);
      await inspectBytes('demo-1.0.tar.gz', Buffer.from('not gzip')).catch(() => {});
    }
    assert.equal(open(), before);
  });

  test('paths differing only in case are evidence, not a refusal', async () => {
    const w = wheel({ files: { 'demo/Data.txt': 'a', 'demo/data.txt': 'b' } });
    const r = await inspectBytes(w.filename, w.bytes);
    const check = r.integrity.checks.find((c) => c.check === 'path-collisions');
    assert.equal(check?.ok, false);
    assert.match(check?.detail ?? '', /'demo\/Data.txt' and 'demo\/data.txt'/);
    const s = await sdist({ files: { 'README': 'a', 'readme': 'b' } });
    assert.equal((await inspectBytes(s.filename, s.bytes)).integrity.checks.find((c) => c.check === 'path-collisions')?.ok, false);
    const clean = await inspectBytes(wheel().filename, wheel().bytes);
    assert.deepEqual(clean.integrity.checks.find((c) => c.check === 'path-collisions'), { check: 'path-collisions', ok: true, detail: 'none' });
  });

  test('names and versions agree after normalisation', async () => {
    const w = buildWheel({ name: 'Demo.Pkg', version: '1.0', metadata: coreMetadata('demo_pkg', '1.0.0'), distInfo: 'Demo.Pkg-1.0.dist-info' });
    const r = await inspectBytes(w.filename, w.bytes);
    assert.equal(r.name, 'demo-pkg');
    assert.equal(r.displayName, 'demo_pkg');
  });

  test('tar.gz and zip sdists inspect cleanly', async () => {
    for (const format of ['tar.gz', 'zip'] as const) {
      const s = await sdist({ format, files: { 'src/demo/__init__.py': '' } });
      const r = await inspectBytes(s.filename, s.bytes);
      assert.equal(r.kind, 'sdist');
      assert.equal(r.name, 'demo');
      assert.deepEqual(r.tags, []);
      assert.equal(r.metadataBytes.toString(), coreMetadata('demo', '1.0'));
    }
  });

  test('expectedSha256 is checked before anything else', async () => {
    const w = wheel();
    const sha = createHash('sha256').update(w.bytes).digest('hex');
    const r = await inspectBytes(w.filename, w.bytes, {}, sha.toUpperCase());
    assert.ok(r.integrity.checks.some((c) => c.check === 'expected-sha256' && c.ok));
    const e = await refused('DIGEST_MISMATCH', w.filename, w.bytes, {}, '0'.repeat(64));
    assert.equal(e.kind, 'integrity');
    // Even a bomb is refused for its digest first: nothing of it is opened.
    const bomb = buildTarGzBomb('demo-1.0/big', GB);
    await refused('DIGEST_MISMATCH', 'demo-1.0.tar.gz', bomb, {}, sha);
  });
});

describe('sizes and bombs', () => {
  test('a file that is not there', async () => {
    await assert.rejects(inspectArtifact(`${dir.path}/absent-1.0-py3-none-any.whl`, { limits: LIMITS }), (e: PyvetError) => e.code === 'FILE_NOT_FOUND' && e.kind === 'not_found');
  });

  test('a file over max_file_bytes', async () => {
    const w = wheel();
    await refused('ARCHIVE_TOO_LARGE', w.filename, w.bytes, { maxFileBytes: w.bytes.length - 1 });
  });

  test('a 1 MB member that inflates to 1 GB, declared honestly', async () => {
    const bomb = deflateBomb(GB);
    assert.ok(bomb.length < 1.1 * 1024 * 1024);
    const e = await refuseWheel('ARCHIVE_ZIP_BOMB', {
      extraEntries: [{ name: 'demo/data.bin', compressed: bomb, size: GB, crc32: 0 }],
      record: listed('demo/data.bin', GB),
    });
    assert.equal(e.details?.member, 'demo/data.bin');
  });

  test('1 KB of data declaring 1 GB', async () => {
    await refuseWheel('ARCHIVE_ZIP_BOMB', {
      extraEntries: [{ name: 'demo/data.bin', compressed: deflateBomb(1024 * 1024), size: GB, crc32: 0 }],
      record: listed('demo/data.bin', GB),
    });
  });

  test('the same bomb declaring 1 KB: caught while inflating', async () => {
    await refuseWheel('ARCHIVE_ZIP_BOMB', {
      extraEntries: [{ name: 'demo/data.bin', compressed: deflateBomb(GB), size: 1024, crc32: 0 }],
      record: listed('demo/data.bin', 1024),
    });
  });

  test('a large lying member is stopped in one step (thread pool) and while streaming, and the archive still closes', async () => {
    const size = 10 * 1024 * 1024;
    const lying = { extraEntries: [{ name: 'demo/data.bin', compressed: deflateBomb(6 * GB), size, crc32: 0 }], record: listed('demo/data.bin', size) };
    await refuseWheel('ARCHIVE_ZIP_BOMB', lying);
    await streaming(() => refuseWheel('ARCHIVE_ZIP_BOMB', lying));
  });

  test('many members each under the ratio floor, a bomb together', async () => {
    const size = 15 * 1024 * 1024;
    const zeros = { compressed: deflateBomb(size), size, crc32: zerosCrc32(size) };
    const entries = Array.from({ length: 8 }, (_, i) => ({ name: `demo/zeros${i}.bin`, ...zeros }));
    const e = await refuseWheel('ARCHIVE_ZIP_BOMB', { extraEntries: entries, record: (rows) => [...entries.map((x) => [x.name, `sha256=${'A'.repeat(43)}`, String(size)]), ...rows] });
    assert.match(e.message, /inflates more than 200 times its own size/);
  });

  test('overlapping members (one kernel inflated by many entries)', async () => {
    const e = await refused('ARCHIVE_ZIP_BOMB', 'demo-1.0-py3-none-any.whl', buildOverlappingZip(64 * 1024, 200));
    assert.match(e.message, /overlap/);
  });

  test('many tiny entries', async () => {
    const entries = Array.from({ length: 101 }, (_, i) => ({ name: `demo/m${i}.py`, data: '' }));
    await refuseWheel('ARCHIVE_TOO_MANY_ENTRIES', { extraEntries: entries }, { maxArchiveEntries: 100 });
    const tar = await buildTarGz(Array.from({ length: 101 }, (_, i) => ({ name: `demo-1.0/m${i}`, data: '' })));
    await refused('ARCHIVE_TOO_MANY_ENTRIES', 'demo-1.0.tar.gz', tar, { maxArchiveEntries: 100 });
  });

  test('a gzip bomb sdist: 1 MB of .tar.gz, 1 GB of tar', async () => {
    const bomb = buildTarGzBomb('demo-1.0/big', GB);
    await refused('ARCHIVE_ZIP_BOMB', 'demo-1.0.tar.gz', bomb);
    // With the ratio out of the way, the absolute limit still holds.
    await refused('ARCHIVE_ZIP_BOMB', 'demo-1.0.tar.gz', bomb, { maxCompressionRatio: 1e9, maxUncompressedBytes: 32 * 1024 * 1024 });
  });

  test('a 10 MB METADATA', async () => {
    // Incompressible, so that only its size is wrong (a run of one letter would be a bomb).
    const big = coreMetadata('demo', '1.0') + randomBytes(5 * 1024 * 1024).toString('hex');
    await refuseWheel('METADATA_TOO_LARGE', { metadata: big });
    await refuseSdist('METADATA_TOO_LARGE', { pkgInfo: big });
  });
});

describe('paths, duplicates and links', () => {
  const zipPaths: [string, Partial<WheelSpec>][] = [
    ['../evil', { extraEntries: [{ name: '../evil', data: 'x' }] }],
    ['/etc/passwd', { extraEntries: [{ name: '/etc/passwd', data: 'x' }] }],
    ['demo/../../evil', { extraEntries: [{ name: 'demo/../../evil', data: 'x' }] }],
    ['backslash', { extraEntries: [{ name: 'demo\\..\\evil.py', data: 'x' }] }],
    ['drive letter', { extraEntries: [{ name: 'C:/Windows/evil.dll', data: 'x' }] }],
    ['NUL byte', { extraEntries: [{ name: 'x', nameBytes: Buffer.from('demo/evil\0.py'), data: 'x' }] }],
    ['./ segment', { extraEntries: [{ name: './demo/x.py', data: 'x' }] }],
    ['nested-path bomb (deep)', { extraEntries: [{ name: `${'d/'.repeat(200)}x`, data: 'x' }] }],
    ['nested-path bomb (long)', { extraEntries: [{ name: `demo/${'x'.repeat(2000)}`, data: 'x' }] }],
  ];
  for (const [what, spec] of zipPaths) {
    test(`wheel member: ${what}`, async () => {
      await refuseWheel('ARCHIVE_PATH_UNSAFE', spec);
    });
  }

  test('a member with a second, Unicode Path name that differs from its header name', async () => {
    const extra = unicodePathExtra('../evil.py', 'demo/evil.py');
    await refuseWheel('ARCHIVE_PATH_UNSAFE', { extraEntries: [{ name: 'x', nameBytes: Buffer.from('../evil.py'), extra, data: 'x' }] });
  });

  test('tar members: ../evil and /etc/passwd', async () => {
    await refuseSdist('ARCHIVE_PATH_UNSAFE', { extraEntries: [{ name: 'demo-1.0/../../evil', data: 'x' }] });
    await refuseSdist('ARCHIVE_PATH_UNSAFE', { extraEntries: [{ name: '/etc/passwd', data: 'x' }] });
  });

  test('duplicate members', async () => {
    await refuseWheel('ARCHIVE_DUPLICATE_ENTRY', { extraEntries: [{ name: 'demo/__init__.py', data: 'evil' }] });
    await refuseSdist('ARCHIVE_DUPLICATE_ENTRY', { extraEntries: [{ name: 'demo-1.0/PKG-INFO', data: coreMetadata('evil', '9') }] });
  });

  test('links and devices', async () => {
    await refuseWheel('ARCHIVE_LINK', { extraEntries: [{ name: 'demo/passwd', data: '/etc/passwd', mode: 0o120777 }] });
    await refuseSdist('ARCHIVE_LINK', { extraEntries: [{ name: 'demo-1.0/passwd', type: 'symlink', linkname: '/etc/passwd' }] });
    await refuseSdist('ARCHIVE_LINK', { extraEntries: [{ name: 'demo-1.0/hard', type: 'link', linkname: 'demo-1.0/PKG-INFO' }] });
    await refuseSdist('ARCHIVE_LINK', { extraEntries: [{ name: 'demo-1.0/dev', type: 'character-device' }] });
    await refuseSdist('ARCHIVE_LINK', { format: 'zip', extraEntries: [{ name: 'demo-1.0/passwd', type: 'symlink', linkname: '/etc/passwd' }] });
  });
});

describe('corrupt archives', () => {
  test('not a zip, empty, not gzip', async () => {
    await refused('ARCHIVE_CORRUPT', 'demo-1.0-py3-none-any.whl', Buffer.from('this is not a zip file at all'));
    await refused('ARCHIVE_CORRUPT', 'demo-1.0-py3-none-any.whl', Buffer.alloc(0));
    await refused('ARCHIVE_CORRUPT', 'demo-1.0.tar.gz', wheel().bytes);
    await refused('ARCHIVE_CORRUPT', 'demo-1.0.zip', Buffer.from('PK but no'));
  });

  test('a truncated .tar.gz', async () => {
    const s = await sdist({ files: { 'data.bin': Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)) } });
    await refused('ARCHIVE_CORRUPT', s.filename, s.bytes.subarray(0, s.bytes.length >> 1));
  });

  test('a bad CRC', async () => {
    await refuseWheel('ARCHIVE_CORRUPT', { extraEntries: [{ name: 'demo/x.py', data: 'print(1)\n', crc32: 12345 }], record: listed('demo/x.py', 9) });
  });

  test('sizes that lie small or large', async () => {
    // Declared larger than the data: the stream ends short.
    await refuseWheel('ARCHIVE_CORRUPT', { extraEntries: [{ name: 'demo/x.py', data: 'print(1)\n', size: 100 }], record: listed('demo/x.py', 100) });
    // A stored member whose two sizes disagree.
    await refuseWheel('ARCHIVE_CORRUPT', {
      extraEntries: [{ name: 'demo/x.py', data: 'print(1)\n', method: 'store', compressedSize: 5 }],
      record: listed('demo/x.py', 9),
    });
  });

  test('a central directory with more entries than its end record counts (pip would install the extra one unchecked)', async () => {
    const w = wheel({ extraEntries: [{ name: 'hidden_evil.pth', data: 'import os\n' }], record: listed('hidden_evil.pth', 10) });
    const bytes = Buffer.from(w.bytes);
    const end = bytes.length - 22;
    bytes.writeUInt16LE(bytes.readUInt16LE(end + 8) - 1, end + 8);
    bytes.writeUInt16LE(bytes.readUInt16LE(end + 10) - 1, end + 10);
    const e = await refused('ARCHIVE_CORRUPT', w.filename, bytes);
    assert.match(e.message, /central directory holds \d+ bytes beyond the \d+ entries its end record counts/);
  });

  test('a central directory that does not end where the end record begins', async () => {
    const w = wheel();
    const end = w.bytes.length - 22;
    // Four bytes between the directory and its end record: zipfile would look for it elsewhere.
    const gap = Buffer.concat([w.bytes.subarray(0, end), Buffer.from('JUNK'), w.bytes.subarray(end)]);
    assert.match((await refused('ARCHIVE_CORRUPT', w.filename, gap)).message, /does not end where its end record begins/);
    // Counts that differ between "this disk" and "in all".
    const counts = Buffer.from(w.bytes);
    counts.writeUInt16LE(counts.readUInt16LE(end + 8) + 1, end + 8);
    assert.match((await refused('ARCHIVE_CORRUPT', w.filename, counts)).message, /entries in all but \d+ on this disk/);
  });

  test('a local header that names, compresses or sizes a member otherwise than the central directory', async () => {
    const w = wheel();
    const nameLength = w.bytes.readUInt16LE(26);
    const first = w.bytes.subarray(30, 30 + nameLength).toString();
    // What streaming readers (and `unzip`, with a warning) would extract: '../' in front.
    const renamed = Buffer.from(w.bytes);
    renamed.write('../', 30);
    const e = await refused('ARCHIVE_CORRUPT', w.filename, renamed);
    assert.match(e.message, new RegExp(`member '${first.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' has another name in its local header`));
    const stored = Buffer.from(w.bytes);
    stored.writeUInt16LE(0, 8);
    assert.match((await refused('ARCHIVE_CORRUPT', w.filename, stored)).message, /another compression method in its local header/);
    const sized = Buffer.from(w.bytes);
    sized.writeUInt32LE(sized.readUInt32LE(22) + 1, 22);
    assert.match((await refused('ARCHIVE_CORRUPT', w.filename, sized)).message, /another size in its local header/);
  });

  test('a directory member that carries data', async () => {
    await refuseWheel('ARCHIVE_CORRUPT', { extraEntries: [{ name: 'demo/sub/', data: 'hidden payload', method: 'deflate' }] });
  });

  test('compression other than stored and deflate', async () => {
    const zip = buildZip([{ name: 'demo/x.py', data: 'x' }]);
    zip.writeUInt16LE(12, 8); // local header: bzip2
    zip.writeUInt16LE(12, zip.indexOf(Buffer.from([0x50, 0x4b, 1, 2])) + 10); // central header too
    await refused('ARCHIVE_UNSUPPORTED', 'demo-1.0-py3-none-any.whl', zip);
  });
});

describe('wheel structure and RECORD', () => {
  test('filename not a wheel or sdist name', async () => {
    const w = wheel();
    await refused('FILENAME_INVALID', 'demo.whl', w.bytes);
    await refused('FILENAME_INVALID', 'demo-1.0-py3-none-any.exe', w.bytes);
    await refused('FILENAME_INVALID', 'demo-notaversion.tar.gz', w.bytes);
  });

  test('no .dist-info, another project\'s, or two', async () => {
    await refuseWheel('WHEEL_NO_DIST_INFO', { distInfo: 'other-1.0.dist-info' });
    await refuseWheel('WHEEL_NO_DIST_INFO', { distInfo: 'demo-2.0.dist-info' });
    await refuseWheel('WHEEL_NO_DIST_INFO', { files: { 'extra-1.0.dist-info/METADATA': coreMetadata('extra', '1.0') } });
  });

  test('WHEEL file missing, of version 2, without Root-Is-Purelib', async () => {
    await refuseWheel('WHEEL_BAD_WHEEL_FILE', { wheelFile: null });
    await refuseWheel('WHEEL_BAD_WHEEL_FILE', { wheelFile: 'Wheel-Version: 2.0\nRoot-Is-Purelib: true\n' });
    await refuseWheel('WHEEL_BAD_WHEEL_FILE', { wheelFile: 'Wheel-Version: 1.0\n' });
  });

  test('RECORD missing', async () => {
    await refuseWheel('WHEEL_RECORD_MISSING', { record: () => null });
  });

  test('RECORD that lies: wrong hash, wrong size, missing row, extra row, unlisted member, weak hash', async () => {
    const init = 'demo/__init__.py';
    const edit = (fn: (row: string[]) => string[]) => (rows: string[][]) => rows.map((r) => (r[0] === init ? fn(r) : r));
    const e = await refuseWheel('WHEEL_RECORD_MISMATCH', { record: edit((r) => [r[0]!, `sha256=${'B'.repeat(43)}`, r[2]!]) });
    assert.equal(e.details?.member, init);
    assert.equal(e.kind, 'integrity');
    await refuseWheel('WHEEL_RECORD_MISMATCH', { record: edit((r) => [r[0]!, r[1]!, '999']) });
    await refuseWheel('WHEEL_RECORD_MISMATCH', { record: edit((r) => [r[0]!, r[1]!, '']) });
    await refuseWheel('WHEEL_RECORD_MISMATCH', { record: (rows) => rows.filter((r) => r[0] !== init) });
    await refuseWheel('WHEEL_RECORD_MISMATCH', { record: (rows) => [...rows, ['demo/ghost.py', `sha256=${'C'.repeat(43)}`, '1']] });
    await refuseWheel('WHEEL_RECORD_MISMATCH', { extraEntries: [{ name: 'demo/sneaky.py', data: 'import os' }] });
    await refuseWheel('WHEEL_RECORD_MISMATCH', { record: edit((r) => [r[0]!, 'md5=1B2M2Y8AsgTpgAmY7PhCfg', r[2]!]) });
    await refuseWheel('WHEEL_RECORD_MISMATCH', { record: edit((r) => [r[0]!, 'sha1=2jmj7l5rSw0yVb_vlWAYkK_YBwk', r[2]!]) });
    // The right digest in hex (gmsh 4.15.2 ships such a RECORD): refused, and said so.
    const hex = createHash('sha256').update('VERSION = "1.0"\n').digest('hex');
    const inHex = await refuseWheel('WHEEL_RECORD_MISMATCH', { record: edit((r) => [r[0]!, `sha256=${hex}`, r[2]!]) });
    assert.match(inHex.message, /RECORD gives the sha256 digest of 'demo\/__init__\.py' in hex; .*urlsafe base64 .*\(the bytes do match\)/);
  });

  test('RECORD with sha512 rows is verified with sha512', async () => {
    const data = 'VERSION = "1.0"\n';
    const digest = createHash('sha512').update(data).digest('base64url');
    const w = wheel({ record: (rows) => rows.map((r) => (r[0] === 'demo/__init__.py' ? [r[0], `sha512=${digest}`, r[2]!] : r)) });
    await inspectBytes(w.filename, w.bytes);
    const bad = wheel({ record: (rows) => rows.map((r) => (r[0] === 'demo/__init__.py' ? [r[0], `sha512=${digest.replace(/^./, 'A')}`, r[2]!] : r)) });
    await refused('WHEEL_RECORD_MISMATCH', bad.filename, bad.bytes);
  });
});

describe('metadata', () => {
  const latin1 = Buffer.concat([Buffer.from(coreMetadata('demo', '1.0', ['Author: '])), Buffer.from([0x4a, 0xfc, 0x72, 0x67, 0x65, 0x6e, 0x0a])]);

  test('missing', async () => {
    await refuseWheel('METADATA_MISSING', { metadata: null });
    await refuseSdist('METADATA_MISSING', { pkgInfo: null });
  });

  test('not UTF-8 (latin-1 bytes)', async () => {
    await refuseWheel('METADATA_NOT_UTF8', { metadata: latin1 });
    await refuseSdist('METADATA_NOT_UTF8', { pkgInfo: latin1 });
  });

  test('unparseable, or without Name or Version', async () => {
    await refuseWheel('METADATA_INVALID', { metadata: '\nno headers at all\n' });
    await refuseWheel('METADATA_INVALID', { metadata: 'Metadata-Version: 2.1\nName: demo\n\n' });
    await refuseWheel('METADATA_INVALID', { metadata: 'Metadata-Version: 2.1\nVersion: 1.0\n\n' });
    await refuseWheel('METADATA_INVALID', { metadata: coreMetadata('demo', 'not a version') });
  });

  test('what installers would read otherwise: a byte-order mark, a NUL, Name or Version given twice', async () => {
    const bom = await refuseWheel('METADATA_INVALID', { metadata: `\ufeff${coreMetadata('demo', '1.0')}` });
    assert.match(bom.message, /byte-order mark/);
    await refuseSdist('METADATA_INVALID', { pkgInfo: `\ufeff${coreMetadata('demo', '1.0')}` });
    assert.match((await refuseWheel('METADATA_INVALID', { metadata: coreMetadata('demo', '1.0', ['Summary: a\0b']) })).message, /NUL/);
    const twice = await refuseWheel('METADATA_INVALID', { metadata: coreMetadata('demo', '1.0', ['Name: requests']) });
    assert.match(twice.message, /gives Name 2 times \('demo', 'requests'\)/);
  });

  test('disagreeing with the filename', async () => {
    const e = await refuseWheel('METADATA_MISMATCH', { metadata: coreMetadata('other', '1.0') });
    assert.equal(e.details?.metadataName, 'other');
    await refuseWheel('METADATA_MISMATCH', { metadata: coreMetadata('demo', '1.1') });
    await refuseSdist('METADATA_MISMATCH', { pkgInfo: coreMetadata('demo', '2.0') });
  });
});

describe('tar member types', () => {
  test('a typeflag tar-stream does not know (GNU sparse) is refused, not read as a file', async () => {
    const s = await sdist({ files: { 'data.bin': 'payload' } });
    const tarBytes = gunzipSync(s.bytes);
    // The header of demo-1.0/data.bin: its typeflag becomes 'S', its checksum is made right again.
    let at = 0;
    while (!tarBytes.subarray(at, at + 100).toString('latin1').startsWith('demo-1.0/data.bin')) at += 512;
    tarBytes.write('S', at + 156, 'latin1');
    tarBytes.write('        ', at + 148, 'latin1');
    let sum = 0;
    for (const b of tarBytes.subarray(at, at + 512)) sum += b;
    tarBytes.write(`${sum.toString(8).padStart(6, '0')}\0 `, at + 148, 'latin1');
    const e = await refused('ARCHIVE_UNSUPPORTED', s.filename, gzipSync(tarBytes));
    assert.match(e.message, /data\.bin' has the tar type 'unknown'/);
  });
});

describe('sdist layout', () => {
  test('members outside the top directory, or a top directory of another project', async () => {
    await refuseSdist('SDIST_LAYOUT', { extraEntries: [{ name: 'setup.py', data: 'import os' }] });
    await refuseSdist('SDIST_LAYOUT', { extraEntries: [{ name: 'other-1.0/setup.py', data: 'import os' }] });
    await refuseSdist('SDIST_LAYOUT', { top: 'other-1.0' });
    await refuseSdist('SDIST_LAYOUT', { top: 'demo-1.0', format: 'zip', extraEntries: [{ name: 'x.py', data: '' }] });
  });

  test('PKG-INFO only deeper down', async () => {
    await refuseSdist('METADATA_MISSING', { pkgInfo: null, files: { 'src/demo.egg-info/PKG-INFO': coreMetadata('demo', '1.0') } });
  });
});

describe('inspections at once on one thread', () => {
  // `[ingest] workers = 0` runs a mirror's inspections on the main thread, interleaved at every
  // await: no inspection may see another's bytes (a shared inflate buffer once could).
  test('give the reports they give one at a time, and refuse only what is wrong', async () => {
    const member = (seed: number) => Buffer.from(Array.from({ length: 300_000 }, (_, i) => `${seed}:${i % 977}\n`).join('').slice(0, 300_000));
    const cases = Array.from({ length: 8 }, (_, i) => {
      const w = buildWheel({ name: `demo${i}`, version: '1.0', files: { [`demo${i}/data.txt`]: member(i), [`demo${i}/more.txt`]: member(i + 100) } });
      return { path: writeArchive(dir.path, w.filename, w.bytes), filename: w.filename };
    });
    const opts = { limits: LIMITS };
    const alone: ArtifactReport[] = [];
    for (const c of cases) alone.push(await inspectArtifact(c.path, opts));
    const saved = ZIP_TUNING.wholeFileBytes;
    try {
      // In memory, and through the descriptor, where every member read is a real I/O wait.
      for (const wholeFileBytes of [saved, 0]) {
        ZIP_TUNING.wholeFileBytes = wholeFileBytes;
        const together = await Promise.all(cases.map((c) => inspectArtifact(c.path, opts)));
        assert.deepEqual(together, alone);
      }
    } finally {
      ZIP_TUNING.wholeFileBytes = saved;
    }
  });
});
