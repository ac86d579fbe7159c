// Bad input through the upload API: every hostile archive from test/helpers/archives.ts is a 400
// carrying the artifacts error code, and nothing of it is stored (no row, no blob); a body whose
// bytes disagree with sha256_digest is 400 DIGEST_MISMATCH before anything is opened.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  buildSdist,
  buildTarGzBomb,
  buildWheel,
  coreMetadata,
  deflateBomb,
  zerosCrc32,
} from '../helpers/archives.js';
import { startTestServer, type TestServer } from './support.js';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function hostileCases(): Promise<{ label: string; filename: string; bytes: Buffer; code: string }[]> {
  const spec = { name: 'evilpkg', version: '1.0' };
  const valid = buildWheel(spec);
  const zeros = 64 * 1024 * 1024;
  const w = (label: string, code: string, built: { filename: string; bytes: Buffer }) => ({ label, code, ...built });
  return [
    w('RECORD lies about a hash', 'WHEEL_RECORD_MISMATCH', buildWheel({
      ...spec,
      record: (rows) => rows.map((r) => (r[0]!.endsWith('__init__.py') ? [r[0]!, `sha256=${'A'.repeat(43)}`, r[2]!] : r)),
    })),
    w('../ member', 'ARCHIVE_PATH_UNSAFE', buildWheel({ ...spec, extraEntries: [{ name: '../evil.py', data: 'print(1)\n' }] })),
    w('absolute member', 'ARCHIVE_PATH_UNSAFE', buildWheel({ ...spec, extraEntries: [{ name: '/etc/cron.d/evil', data: 'x' }] })),
    w('zip bomb', 'ARCHIVE_ZIP_BOMB', buildWheel({
      ...spec,
      extraEntries: [{ name: 'evilpkg/zeros.bin', compressed: deflateBomb(zeros), size: zeros, crc32: zerosCrc32(zeros) }],
    })),
    { label: 'tar.gz bomb', code: 'ARCHIVE_ZIP_BOMB', filename: 'evilpkg-1.0.tar.gz', bytes: buildTarGzBomb('evilpkg-1.0/zeros', 1024 ** 3) },
    { label: 'truncated zip', code: 'ARCHIVE_CORRUPT', filename: valid.filename, bytes: valid.bytes.subarray(0, valid.bytes.length >> 1) },
    { label: 'not a zip', code: 'ARCHIVE_CORRUPT', filename: valid.filename, bytes: Buffer.from('this is not a zip file\n'.repeat(10)) },
    w('latin-1 metadata', 'METADATA_NOT_UTF8', buildWheel({
      ...spec,
      metadata: Buffer.from(coreMetadata('evilpkg', '1.0', ['Summary: caf\xe9']), 'latin1'),
    })),
    w('metadata names another project', 'METADATA_MISMATCH', buildWheel({ ...spec, metadata: coreMetadata('otherpkg', '1.0') })),
    { label: 'filename disagrees with the archive', code: 'WHEEL_NO_DIST_INFO', filename: 'evilpkg-9.9.9-py3-none-any.whl', bytes: valid.bytes },
    w('huge metadata', 'METADATA_TOO_LARGE', buildWheel({
      ...spec,
      metadataLines: [`Description: ${randomBytes(4 * 1024 * 1024).toString('base64')}`],
    })),
    w('symlink in an sdist', 'ARCHIVE_LINK', await buildSdist({
      ...spec,
      extraEntries: [{ name: 'evilpkg-1.0/passwd', type: 'symlink', linkname: '/etc/passwd' }],
    })),
  ];
}

describe('hostile uploads', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s?.stop());

  const upload = (filename: string, bytes: Buffer, digest = sha256(bytes)) => {
    const form = new FormData();
    form.append(':action', 'file_upload');
    form.append('protocol_version', '1');
    form.append('sha256_digest', digest);
    form.append('content', new Blob([bytes]), filename);
    return fetch(`${s.url}/legacy/`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`__token__:${s.tokens.publisher}`).toString('base64')}` },
      body: form,
    });
  };

  it('refuses each hostile archive with 400 and its code, storing nothing', async () => {
    for (const c of await hostileCases()) {
      const r = await upload(c.filename, c.bytes);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(r.status, 400, `${c.label}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, c.code, `${c.label}: ${body.error.message}`);
      assert.equal(await s.repo.blobs.has(sha256(c.bytes)), false, `${c.label}: no blob`);
    }
    assert.deepEqual(await s.repo.catalog.files.list(), [], 'no row');
  });

  it('refuses a body whose sha256 disagrees with sha256_digest, then accepts the honest one', async () => {
    const good = buildWheel({ name: 'goodpkg', version: '1.0' });
    const r = await upload(good.filename, good.bytes, sha256(Buffer.from('other bytes')));
    assert.equal(r.status, 400);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'DIGEST_MISMATCH');
    assert.equal(await s.repo.blobs.has(sha256(good.bytes)), false);
    const ok = await upload(good.filename, good.bytes);
    assert.equal(ok.status, 200);
    assert.equal((await s.repo.catalog.files.list()).length, 1);
  });
});
