// twine prints the HTTP reason phrase of a refused upload, not its JSON body: POST /legacy/ puts
// the error message there (as PyPI does), sanitized, and never a token; other routes keep the
// standard phrase.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanPipEnv, clientAvailable } from '../helpers/python.js';
import { builtProject, startTestServer, type TestServer } from './support.js';

const build = clientAvailable('build');
const basic = (token: string) => ({ authorization: `Basic ${Buffer.from(`__token__:${token}`).toString('base64')}` });
const BOGUS = `pyvet_0123456789abcdef_${'B'.repeat(43)}`;

function form(path: string, over: Record<string, string> = {}): FormData {
  const bytes = readFileSync(path);
  const f = new FormData();
  const fields = { ':action': 'file_upload', protocol_version: '1', sha256_digest: createHash('sha256').update(bytes).digest('hex'), ...over };
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  f.append('content', new Blob([bytes]), basename(path));
  return f;
}

/** twine upload, without blocking the event loop (the server runs in this process). */
function twine(url: string, token: string, file: string): Promise<{ status: number; out: string }> {
  const child = spawn(
    'twine',
    ['upload', '--non-interactive', '--disable-progress-bar', '--repository-url', `${url}/legacy/`, '-u', '__token__', '-p', token, file],
    { env: cleanPipEnv({ TWINE_NON_INTERACTIVE: '1', NO_COLOR: '1' }), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ status: code ?? -1, out })));
}

describe('upload refusals carry their message in the reason phrase', { skip: build === true ? false : build }, () => {
  let s: TestServer;
  let wheel: string;
  before(async () => {
    s = await startTestServer();
    ({ wheel } = builtProject({ name: 'pyvet_reason', version: '1.0' }));
  });
  after(async () => {
    await s?.stop();
  });
  const upload = (headers: Record<string, string>, body: FormData) => fetch(`${s.url}/legacy/`, { method: 'POST', headers, body });

  it('401, 403, 415 and 400 say why in statusText; no token is echoed', async () => {
    const anon = await upload({}, form(wheel));
    assert.equal(anon.status, 401);
    assert.equal(anon.statusText, 'upload files needs a token with the publisher role');
    const bogus = await upload(basic(BOGUS), form(wheel));
    assert.equal(bogus.status, 401);
    assert.equal(bogus.statusText, 'the credentials given are not a valid pyvet token');
    const reader = await upload(basic(s.tokens.reader), form(wheel));
    assert.equal(reader.status, 403);
    assert.match(reader.statusText, /may not upload files: it needs the publisher role/);
    const json = await fetch(`${s.url}/legacy`, { method: 'POST', headers: { ...basic(s.tokens.publisher), 'content-type': 'application/json' }, body: '{}' });
    assert.equal(json.status, 415);
    assert.match(json.statusText, /^uploads are sent as multipart\/form-data/);
    for (const r of [anon, bogus, reader, json]) {
      assert.ok(!r.statusText.includes('pyvet_'), r.statusText);
      await r.body?.cancel();
    }
    // The body is unchanged: the JSON envelope.
    assert.equal(((await (await upload({}, form(wheel))).json()) as { error: { code: string } }).error.code, 'UNAUTHORIZED');
  });

  it('sanitizes what a client sent: printable ASCII only, no CR/LF, bounded', async () => {
    const r = await upload(basic(s.tokens.publisher), form(wheel, { name: `na\u00efve\r\nX-Injected: 1 ${'x'.repeat(400)}` }));
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-injected'), null);
    assert.match(r.statusText, /^[\x20-\x7e]+$/);
    assert.ok(r.statusText.length <= 200, String(r.statusText.length));
    assert.match(r.statusText, /the form's name 'na ve X-Injected: 1 x+\.\.\.$/);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'UPLOAD_FIELDS_MISMATCH');
  });

  it('other routes keep the standard reason phrase', async () => {
    const r = await fetch(`${s.url}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 401);
    assert.equal(r.statusText, 'Unauthorized');
    await r.body?.cancel();
  });

  it('twine shows the message of a refused upload', { skip: clientAvailable('twine') === true ? false : 'no twine' }, async () => {
    const r = await twine(s.url, BOGUS, wheel);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /the credentials given are not a valid pyvet token/);
    assert.ok(!r.out.includes(BOGUS.slice(6)), 'the token is not echoed');
  });
});
