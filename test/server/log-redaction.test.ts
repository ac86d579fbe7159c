// Tokens never reach the log through the request target: the userinfo of an absolute-form target
// (`GET http://__token__:TOKEN@host/simple/`) and a token anywhere in the path or query
// (`?token=TOKEN`, escaped or not) are left out of access lines and error lines, whether the hot
// path or Fastify answered.
import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { loggableUrl } from '../../src/server/http.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';
import { addFiles, startTestServer, type TestServer } from './support.js';

/** One request written as is on a socket (fetch cannot send an absolute-form target): the whole response. */
function rawRequest(base: string, target: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.end(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`);
    });
    let data = '';
    socket.setEncoding('latin1').on('data', (d: string) => {
      data += d;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('loggableUrl', () => {
  const token = `pyvet_0123456789abcdef_${'Ab9_-'.repeat(8)}xyz`;
  it('drops userinfo of absolute-form targets and redacts tokens wherever they are', () => {
    assert.equal(loggableUrl(`http://__token__:${token}@127.0.0.1:8080/simple/`), 'http://127.0.0.1:8080/simple/');
    assert.equal(loggableUrl(`HTTPS://user:p%40ss@host/simple/?a=1`), 'HTTPS://host/simple/?a=1');
    assert.equal(loggableUrl(`/simple/?token=${token}&format=json`), '/simple/?token=[redacted]&format=json');
    assert.equal(loggableUrl(`/simple/${token}/`), '/simple/[redacted]/');
    assert.equal(loggableUrl(`/x?a=${token}&b=${token}`), '/x?a=[redacted]&b=[redacted]');
    // Escaped unreserved characters are the same URL (RFC 3986 §2.3).
    assert.equal(loggableUrl(`/simple/?token=${token.replace(/_/g, '%5F').replace('p', '%70')}`), '/simple/?token=[redacted]');
    for (const plain of ['/simple/', '/simple/pyvet-demo/?format=json', '/simple/pyvet%2Ddemo/', '/files/ab/cd/x/pyvet_x-1.0.tar.gz', 'http://host/simple/']) {
      assert.equal(loggableUrl(plain), plain);
    }
  });
});

for (const hotPath of [true, false]) describe(`tokens in the request target stay out of the log (${hotPath ? 'hot path' : 'Fastify only'})`, () => {
  let s: TestServer;
  const tmp = tempDir();
  const wheel = buildWheel({ name: 'redact-demo', version: '1.0' });
  let fileUrl = '';
  let blob = '';

  before(async () => {
    s = await startTestServer(undefined, { hotPath });
    await addFiles(s.repo, [writeArchive(tmp.path, wheel.filename, wheel.bytes)], true);
    const f = (await s.repo.catalog.files.getByFilename(wheel.filename))!;
    fileUrl = `/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${f.filename}`;
    blob = s.repo.blobs.localPath(f.sha256)!;
  });
  after(async () => {
    await s?.stop();
    tmp.cleanup();
  });

  const secretOf = (token: string) => token.slice('pyvet_0123456789abcdef_'.length);
  const logged = () => s.logs.join('');

  it('answers an absolute-form target with userinfo and logs it without', async () => {
    const { hostname, port } = new URL(s.url);
    const token = s.tokens.reader;
    const ok = await rawRequest(s.url, `http://__token__:${token}@${hostname}:${port}/simple/`);
    assert.match(ok, /^HTTP\/1\.1 200 /);
    assert.ok(s.accessLog().some((l) => l.url === `http://${hostname}:${port}/simple/`));
    // Nor is it handed back in a 404's message.
    const missing = await rawRequest(s.url, `http://__token__:${token}@${hostname}:${port}/nothing/${token}`);
    assert.match(missing, /^HTTP\/1\.1 404 /);
    assert.match(missing, /nothing at GET http:\/\/127\.0\.0\.1:\d+\/nothing\/\[redacted\]/);
    assert.equal(missing.includes(secretOf(token)), false);
    assert.equal(logged().includes(secretOf(token)), false);
    assert.equal(logged().includes('__token__'), false);
  });

  it('redacts a token in the path or query of any answer, 200, 404 or 500', async () => {
    const token = s.tokens.publisher;
    const escaped = token.replace(/_/g, '%5F');
    const targets = [
      `/simple/?token=${token}`,
      `/simple/redact-demo/?token=${token}`,
      `/simple/redact-demo/?format=json&token=${token}`,
      `/simple/?token=${escaped}`,
      `/simple/${token}/`,
      `/no/such/${token}`,
      `${fileUrl}?token=${token}`,
      `${fileUrl}.metadata?token=${token}`,
    ];
    // A 500 is logged as an error with its URL too (first: once read, the bytes are in memory).
    renameSync(blob, `${blob}.away`);
    try {
      assert.equal((await fetch(`${s.url}${fileUrl}?token=${token}`)).status, 500);
    } finally {
      renameSync(`${blob}.away`, blob);
    }
    for (const t of targets) await (await fetch(`${s.url}${t}`)).arrayBuffer();
    assert.ok(logged().includes('"level":50'), 'the 500 wrote an error line');
    assert.equal(logged().includes(secretOf(token)), false);
    const urls = s.accessLog().map((l) => l.url);
    for (const t of ['/simple/?token=[redacted]', '/simple/redact-demo/?token=[redacted]', '/simple/[redacted]/', `${fileUrl}?token=[redacted]`]) {
      assert.ok(urls.includes(t), `${t} in ${urls.join(' ')}`);
    }
  });
});
