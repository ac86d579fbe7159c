// Who may do what over HTTP, and the legacy upload API: the auth matrix for each role (anonymous,
// wrong token, reader, publisher, approver, admin) on reads, uploads and the admin API, with
// "nothing changes" checked after every refusal; upload digests, duplicates and bad bodies.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hashFile } from '../../src/artifacts/digests.js';
import type { Role } from '../../src/catalog/types.js';
import { rejectFiles } from '../../src/repository/states.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { clientAvailable } from '../helpers/python.js';
import { ADMIN, builtProject, startTestServer, type TestServer, withServerConfig } from './support.js';

const skip = clientAvailable('build');
const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`__token__:${token}`).toString('base64')}` });
const WRONG = `pyvet_0123456789abcdef_${'A'.repeat(43)}`;

interface ErrorBody {
  error: { code: string; message: string };
}

/** The form twine sends for one file. */
function uploadForm(path: string, over: Record<string, string | null> = {}): FormData {
  const bytes = readFileSync(path);
  const fields: Record<string, string | null> = {
    ':action': 'file_upload',
    protocol_version: '1',
    name: 'pyvet-up',
    version: '1.0',
    filetype: path.endsWith('.whl') ? 'bdist_wheel' : 'sdist',
    pyversion: path.endsWith('.whl') ? 'py3' : 'source',
    metadata_version: '2.1',
    summary: 'pyvet test project',
    sha256_digest: createHash('sha256').update(bytes).digest('hex'),
    md5_digest: createHash('md5').update(bytes).digest('hex'),
    ...over,
  };
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) if (v !== null) form.append(k, v);
  form.append('classifiers', 'Programming Language :: Python :: 3');
  form.append('classifiers', 'License :: OSI Approved :: MIT License');
  form.append('content', new Blob([bytes]), basename(path));
  return form;
}

describe('auth matrix and uploads', { skip: skip === true ? false : skip }, () => {
  let s: TestServer;
  let closed: RunningServer;
  let wheel: string;
  let sdist: string;
  let otherBytes: string;
  const as = (token: string | null) => (token ? basic(token) : {});
  const fileCount = async () => (await s.repo.catalog.files.list()).length;

  before(async () => {
    s = await startTestServer();
    ({ wheel, sdist } = builtProject({ name: 'pyvet_up', version: '1.0' }));
    otherBytes = builtProject({ name: 'pyvet_up', version: '1.0', license: 'MIT' }).wheel;
    closed = await startServer(withServerConfig(s.repo, { anonymous_read: false }), { host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await closed?.close();
    await s?.stop();
  });

  const upload = (token: string | null, path: string, over?: Record<string, string | null>) =>
    fetch(`${s.url}/legacy/`, { method: 'POST', headers: as(token), body: uploadForm(path, over) });

  it('refuses uploads without a publisher token and changes nothing', async () => {
    const n = await fileCount();
    const anon = await upload(null, wheel);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="pyvet"');
    const wrong = await upload(WRONG, wheel);
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as ErrorBody).error.code, 'UNAUTHORIZED');
    const reader = await upload(s.tokens.reader, wheel);
    assert.equal(reader.status, 403);
    assert.equal(((await reader.json()) as ErrorBody).error.code, 'FORBIDDEN');
    assert.equal(await fileCount(), n);
  });

  it('accepts a publisher upload into quarantine, checks digests and is idempotent for the same bytes', async () => {
    const bad = await upload(s.tokens.publisher, wheel, { sha256_digest: 'f'.repeat(64) });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as ErrorBody).error.code, 'DIGEST_MISMATCH');
    const badMd5 = await upload(s.tokens.publisher, wheel, { md5_digest: '0'.repeat(32) });
    assert.equal(((await badMd5.json()) as ErrorBody).error.code, 'DIGEST_MISMATCH');
    const none = await upload(s.tokens.publisher, wheel, { sha256_digest: null, md5_digest: null });
    assert.equal(((await none.json()) as ErrorBody).error.code, 'DIGEST_MISSING');
    // The form must describe the file it carries (spellings the standards equate are the same).
    for (const over of [{ name: 'otherpkg' }, { version: '9.9' }, { filetype: 'sdist' }] as Record<string, string>[]) {
      const lie = await upload(s.tokens.publisher, wheel, over);
      assert.equal(lie.status, 400, JSON.stringify(over));
      assert.equal(((await lie.json()) as ErrorBody).error.code, 'UPLOAD_FIELDS_MISMATCH', JSON.stringify(over));
    }
    assert.equal(await fileCount(), 0, 'nothing stored');

    const r = await upload(s.tokens.publisher, wheel);
    assert.equal(r.status, 200, await r.clone().text());
    const body = (await r.json()) as { created: boolean; file: { state: string; origin: string; filename: string } };
    assert.equal(body.created, true);
    assert.equal(body.file.state, 'quarantined');
    assert.equal(body.file.origin, 'upload:publisher-token');
    assert.equal((await fetch(`${s.url}/simple/pyvet-up/`)).status, 404, 'quarantined: not on the index');

    const again = await upload(s.tokens.publisher, wheel);
    assert.equal(again.status, 200);
    assert.equal(((await again.json()) as { created: boolean }).created, false);
    const other = await upload(s.tokens.publisher, otherBytes);
    assert.equal(other.status, 409);
    assert.equal(((await other.json()) as ErrorBody).error.code, 'FILE_EXISTS');
    const sd = await upload(s.tokens.approver, sdist);
    assert.equal(sd.status, 200, 'a higher role may upload too');
    assert.equal(await fileCount(), 2);
  });

  it('rejects malformed upload bodies with 400 and stores nothing', async () => {
    const n = await fileCount();
    const post = (body: string | FormData, type?: string) =>
      fetch(`${s.url}/legacy/`, {
        method: 'POST',
        headers: { ...basic(s.tokens.publisher), ...(type ? { 'content-type': type } : {}) },
        body,
      });
    const action = await upload(s.tokens.publisher, wheel, { ':action': 'submit' });
    assert.equal(((await action.json()) as ErrorBody).error.code, 'UPLOAD_ACTION_INVALID');
    const noFile = new FormData();
    noFile.append(':action', 'file_upload');
    assert.equal(((await (await post(noFile)).json()) as ErrorBody).error.code, 'UPLOAD_NO_FILE');
    const truncated = '--XyZ\r\nContent-Disposition: form-data; name=":action"\r\n\r\nfile_upload\r\n--XyZ\r\nContent-Disposition: form-data; name="content"; filename="a-1.0.tar.gz"\r\n\r\nabc';
    const t = await post(truncated, 'multipart/form-data; boundary=XyZ');
    assert.equal(t.status, 400);
    assert.equal(((await t.json()) as ErrorBody).error.code, 'MULTIPART_INVALID');
    const traversal = `--XyZ\r\nContent-Disposition: form-data; name="content"; filename="../evil.whl"\r\n\r\nabc\r\n--XyZ--\r\n`;
    const tr = await post(traversal, 'multipart/form-data; boundary=XyZ');
    assert.equal(((await tr.json()) as ErrorBody).error.code, 'UPLOAD_FILENAME_INVALID');
    const noBoundary = await post('x', 'multipart/form-data');
    assert.equal(((await noBoundary.json()) as ErrorBody).error.code, 'MULTIPART_INVALID');
    // Anything but multipart/form-data is one answer: 415, one code, naming what to send.
    for (const [body, type] of [
      ['{}', 'application/json'],
      ['{not json', 'application/json'],
      [':action=file_upload', 'application/x-www-form-urlencoded'],
      ['x', 'text/plain'],
      [new Uint8Array([1, 2, 3]), undefined],
      ['x', 'multipart/mixed; boundary=XyZ'],
      ['x', 'multipart/form-datax; boundary=XyZ'],
    ] as [string | Uint8Array, string | undefined][]) {
      const r = await fetch(`${s.url}/legacy/`, { method: 'POST', headers: { ...basic(s.tokens.publisher), ...(type ? { 'content-type': type } : {}) }, body });
      assert.equal(r.status, 415, String(type));
      const e = ((await r.json()) as ErrorBody).error;
      assert.equal(e.code, 'UPLOAD_MEDIA_TYPE_UNSUPPORTED', String(type));
      assert.match(e.message, /multipart\/form-data/);
    }
    assert.equal(await fileCount(), n);
  });

  it('refuses a form that gives one digest field two different values, and stores nothing', async () => {
    const n = await fileCount();
    const { wheel: other } = builtProject({ name: 'pyvet_up', version: '2.0' });
    const d = await hashFile(other);
    const right = { sha256_digest: d.sha256, md5_digest: d.md5, blake2_256_digest: d.blake2b256 };
    const wrong = { sha256_digest: 'f'.repeat(64), md5_digest: '0'.repeat(32), blake2_256_digest: 'e'.repeat(64) };
    const send = (field: keyof typeof right, values: string[]) => {
      const form = uploadForm(other, { version: '2.0', [field]: null });
      for (const v of values) form.append(field, v);
      return fetch(`${s.url}/legacy/`, { method: 'POST', headers: basic(s.tokens.publisher), body: form });
    };
    for (const field of Object.keys(right) as (keyof typeof right)[]) {
      for (const values of [
        [right[field], wrong[field]],
        [wrong[field], right[field]],
      ]) {
        const r = await send(field, values);
        assert.equal(r.status, 400, `${field} ${values.join(' ')}`);
        assert.equal(((await r.json()) as ErrorBody).error.code, 'DIGEST_CONFLICT');
      }
    }
    assert.equal(await fileCount(), n, 'nothing stored');
    // The same value twice is one promise, kept.
    const same = await send('sha256_digest', [right.sha256_digest, right.sha256_digest.toUpperCase()]);
    assert.equal(same.status, 200, await same.clone().text());
    assert.equal(await fileCount(), n + 1);
    // Out of the review queue the next test reads.
    await rejectFiles(s.repo, basename(other), ADMIN, 'test upload');
  });

  it('requires a reader token to read when anonymous reading is off', async () => {
    const f = (await s.repo.catalog.files.list({ project: 'pyvet-up' })).find((x) => x.kind === 'wheel');
    const filePath = `/files/${f!.sha256.slice(0, 2)}/${f!.sha256.slice(2, 4)}/${f!.sha256}/${f!.filename}`;
    await fetch(`${s.url}/api/files/${f!.filename}/approve`, {
      method: 'POST',
      headers: { ...basic(s.tokens.approver), 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'reviewed' }),
    });
    for (const path of ['/simple/', '/simple/pyvet-up/', filePath, `${filePath}.metadata`]) {
      const anon = await fetch(`${closed.url}${path}`);
      assert.equal(anon.status, 401, path);
      assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="pyvet"');
      assert.equal((await fetch(`${closed.url}${path}`, { headers: basic(WRONG) })).status, 401, path);
      for (const role of ['reader', 'publisher', 'approver', 'admin'] as Role[]) {
        assert.equal((await fetch(`${closed.url}${path}`, { headers: basic(s.tokens[role]) })).status, 200, `${path} ${role}`);
      }
      assert.equal((await fetch(`${s.url}${path}`)).status, 200, `${path} anonymous when allowed`);
      assert.equal((await fetch(`${s.url}${path}`, { headers: basic(WRONG) })).status, 401, 'a wrong token is refused anyway');
    }
    // A shared cache may keep a file for everyone only when everyone may read it (RFC 9111 §3.5).
    for (const path of [filePath, `${filePath}.metadata`]) {
      const open = await fetch(`${s.url}${path}`);
      assert.equal(open.headers.get('cache-control'), 'public, max-age=31536000, immutable', path);
      for (let i = 0; i < 2; i++) {
        const r = await fetch(`${closed.url}${path}`, { headers: basic(s.tokens.reader) });
        assert.equal(r.headers.get('cache-control'), 'private, max-age=31536000, immutable', `${path}, request ${i + 1}`);
        const again = await fetch(`${closed.url}${path}`, { headers: { ...basic(s.tokens.reader), 'if-none-match': r.headers.get('etag')! } });
        assert.equal(again.status, 304);
        assert.equal(again.headers.get('cache-control'), 'private, max-age=31536000, immutable', `${path}, 304`);
      }
    }
  });

  it('guards the admin API by role: 401, 403 (nothing changes), then the right role succeeds', async () => {
    const sd = (await s.repo.catalog.files.list({ project: 'pyvet-up' })).find((f) => f.kind === 'sdist')!;
    const call = (method: string, path: string, token: string | null, body?: unknown) =>
      fetch(`${s.url}${path}`, {
        method,
        headers: { ...as(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const approve = `/api/files/${sd.filename}/approve`;
    const expect: [string, string, unknown, Role | null, number][] = [
      ['GET', '/api/files?state=quarantined', undefined, null, 401],
      ['GET', '/api/files?state=quarantined', undefined, 'publisher', 403],
      ['POST', approve, { reason: 'ok' }, null, 401],
      ['POST', approve, { reason: 'ok' }, 'reader', 403],
      ['POST', approve, { reason: 'ok' }, 'publisher', 403],
      ['POST', '/api/tokens', { name: 'x', role: 'admin' }, 'approver', 403],
      ['GET', '/api/audit/verify', undefined, 'approver', 403],
    ];
    const tokensBefore = (await s.repo.catalog.tokens.list()).length;
    for (const [method, path, body, role, status] of expect) {
      const r = await call(method, path, role && s.tokens[role], body);
      assert.equal(r.status, status, `${method} ${path} as ${role}`);
    }
    assert.equal((await s.repo.catalog.files.getByFilename(sd.filename))!.state, 'quarantined', 'refused approvals changed nothing');
    assert.equal((await s.repo.catalog.tokens.list()).length, tokensBefore);

    const queue = (await (await call('GET', '/api/files?state=quarantined', s.tokens.approver)).json()) as { files: { filename: string }[] };
    assert.deepEqual(queue.files.map((f) => f.filename), [sd.filename]);
    const noReason = await call('POST', approve, s.tokens.approver, {});
    const nr = (await noReason.json()) as ErrorBody;
    assert.equal(nr.error.code, 'REASON_REQUIRED', nr.error.message);
    // A field the API does not know is refused, not dropped (a mistyped expiry must not make a token that never expires).
    const typo = await call('POST', '/api/tokens', s.tokens.admin, { name: 'typo', role: 'reader', expires: '0d' });
    assert.equal(typo.status, 400);
    assert.equal(((await typo.json()) as ErrorBody).error.code, 'REQUEST_INVALID');
    assert.equal((await s.repo.catalog.tokens.list()).some((t) => t.name === 'typo'), false);
    // No body at all is no reason either, not a malformed request.
    const noBody = (await (await call('POST', approve, s.tokens.approver)).json()) as ErrorBody;
    assert.equal(noBody.error.code, 'REASON_REQUIRED', noBody.error.message);
    const ok = await call('POST', approve, s.tokens.approver, { reason: 'reviewed' });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { changed: unknown[] }).changed.length, 1);
    assert.equal((await s.repo.catalog.files.getByFilename(sd.filename))!.state, 'approved');

    const yank = await call('POST', `/api/files/${sd.filename}/yank`, s.tokens.approver, { reason: 'bad build' });
    assert.equal(yank.status, 200);
    assert.match(await (await fetch(`${s.url}/simple/pyvet-up/`)).text(), /data-yanked="bad build">pyvet_up-1.0.tar.gz/);
    const selector = await call('POST', '/api/files/pyvet-up/approve', s.tokens.approver, { reason: 'x' });
    assert.equal(selector.status, 400, 'only filenames, never a whole project');
    assert.equal(((await selector.json()) as ErrorBody).error.code, 'REQUEST_INVALID');

    const badRole = await call('POST', '/api/tokens', s.tokens.admin, { name: 'x', role: 'root' });
    assert.equal(badRole.status, 400);
    const created = await call('POST', '/api/tokens', s.tokens.admin, { name: 'ci-reader', role: 'reader' });
    assert.equal(created.status, 201);
    const { token, record } = (await created.json()) as { token: string; record: { role: string } };
    assert.equal(record.role, 'reader');
    assert.equal('hash' in record, false, 'the stored hash is not handed out');
    // An expiry is a lifetime, a date or an RFC 3339 date-time: '1' is not the year 2001.
    const one = await call('POST', '/api/tokens', s.tokens.admin, { name: 'one', role: 'reader', expiresAt: '1' });
    assert.equal(one.status, 400);
    const oneError = ((await one.json()) as ErrorBody).error;
    assert.equal(oneError.code, 'TOKEN_EXPIRY_INVALID');
    assert.match(oneError.message, /^expiresAt "1" is not an expiry: use .*30d.*2030-01-31.*RFC 3339/);
    // Beyond Date's range (it was a 500), or just more than a few years away: a 400 naming the cap.
    for (const expiresAt of ['99999999d', '9999-12-31']) {
      const far = await call('POST', '/api/tokens', s.tokens.admin, { name: 'far', role: 'reader', expiresAt });
      assert.equal(far.status, 400, expiresAt);
      const farError = ((await far.json()) as ErrorBody).error;
      assert.equal(farError.code, 'TOKEN_EXPIRY_INVALID');
      assert.match(farError.message, /^expiresAt ".*" is more than \d+ days away/);
    }
    const month = await call('POST', '/api/tokens', s.tokens.admin, { name: 'month', role: 'reader', expiresAt: '30d' });
    assert.equal(month.status, 201);
    const expiresAt = ((await month.json()) as { record: { expiresAt: string } }).record.expiresAt;
    assert.ok(Math.abs(Date.parse(expiresAt) - Date.now() - 30 * 86_400_000) < 60_000, expiresAt);
    assert.equal((await fetch(`${closed.url}/simple/`, { headers: basic(token) })).status, 200, 'the new token works');

    const verify = await call('GET', '/api/audit/verify', s.tokens.admin);
    assert.equal(verify.status, 200);
    assert.equal(((await verify.json()) as { ok: boolean }).ok, true);
  });

  it('reads /metrics like the index (a reader token when anonymous reading is off); /healthz stays open', async () => {
    const anon = await fetch(`${closed.url}/metrics`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), 'Basic realm="pyvet"');
    assert.doesNotMatch(await anon.text(), /pyvet_files/);
    assert.equal((await fetch(`${closed.url}/metrics`, { headers: basic(WRONG) })).status, 401);
    for (const role of ['reader', 'admin'] as Role[]) {
      const r = await fetch(`${closed.url}/metrics`, { headers: basic(s.tokens[role]) });
      assert.equal(r.status, 200, role);
      assert.match(await r.text(), /^pyvet_files\{state="quarantined"\} \d+$/m);
    }
    const health = await fetch(`${closed.url}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    // Open when anyone may read, but a wrong token is refused as on the index.
    assert.equal((await fetch(`${s.url}/metrics`)).status, 200);
    assert.equal((await fetch(`${s.url}/metrics`, { headers: basic(WRONG) })).status, 401);
  });

  it('asks who is asking before it looks at the request: 401, then 403, and only then 400', async () => {
    const send = (method: string, path: string, token: string | null, body?: string, type = 'application/json') =>
      fetch(`${s.url}${path}`, { method, headers: { ...as(token), ...(body === undefined ? {} : { 'content-type': type }) }, body });
    const approve = '/api/files/pyvet_up-9.9.tar.gz/approve';
    const cases: [string, string, string | undefined, Role, string?][] = [
      ['POST', approve, '{"bogus": 1}', 'approver'],
      ['POST', approve, '{not json', 'approver'],
      ['POST', '/api/files/not-a-file/approve', '{}', 'approver'],
      ['POST', '/api/files/pyvet_up-9.9.tar.gz/explode', '{}', 'approver'],
      ['POST', '/api/tokens', '{"name": 5}', 'admin'],
      ['POST', '/api/tokens', '{"name": "x", "role": "reader", "extra": true}', 'admin'],
      ['POST', '/api/tokens', '<xml/>', 'admin', 'application/xml'],
      ['GET', '/api/files?state=bogus', undefined, 'approver'],
    ];
    for (const [method, path, body, role, type] of cases) {
      const what = `${method} ${path} ${body}`;
      for (const token of [null, WRONG]) {
        const r = await send(method, path, token, body, type);
        assert.equal(r.status, 401, `${what} as ${token && 'a wrong token'}`);
        assert.equal(r.headers.get('www-authenticate'), 'Basic realm="pyvet"');
        assert.equal(((await r.json()) as ErrorBody).error.code, 'UNAUTHORIZED');
      }
      const weak = await send(method, path, s.tokens.reader, body, type);
      assert.equal(weak.status, 403, `${what} as a reader`);
      assert.equal(((await weak.json()) as ErrorBody).error.code, 'FORBIDDEN');
      const allowed = await send(method, path, s.tokens[role], body, type);
      assert.ok([400, 415].includes(allowed.status), `${what} as ${role}: ${allowed.status}`);
    }
    // An upload too: an anonymous body nobody could parse is a 401 first.
    const anon = await send('POST', '/legacy/', null, '{not json');
    assert.equal(anon.status, 401);
    assert.equal((await send('POST', '/legacy/', s.tokens.reader, '{not json')).status, 403);
  });

  it('never writes a token to the log', () => {
    const all = s.logs.join('');
    for (const token of Object.values(s.tokens)) assert.equal(all.includes(token.slice('pyvet_0123456789abcdef_'.length)), false);
    assert.equal(all.includes(Buffer.from(`__token__:${s.tokens.publisher}`).toString('base64')), false);
  });
});
