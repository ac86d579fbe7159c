// What waits in quarantine is nobody's business but the reviewers': an upload into quarantine, or
// a file added there, changes neither the bytes nor the ETag of any page an anonymous reader can
// fetch (the project's HTML and JSON pages, the root pages), and /healthz says only that it is up.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';
import { addFiles, startTestServer, type TestServer } from './support.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const PAGES = ['/simple/', '/simple/quiet/'];
const ACCEPTS = ['text/html', 'application/vnd.pypi.simple.v1+html', JSON_TYPE];

for (const hotPath of [true, false]) describe(`quarantine is invisible to readers (${hotPath ? 'hot path' : 'Fastify only'})`, () => {
  let s: TestServer;
  const tmp = tempDir();
  const wheel = (version: string) => {
    const w = buildWheel({ name: 'quiet', version });
    return { ...w, path: writeArchive(tmp.path, w.filename, w.bytes) };
  };

  before(async () => {
    s = await startTestServer(undefined, { hotPath });
    await addFiles(s.repo, [wheel('1.0').path], true);
  });
  after(async () => {
    await s?.stop();
    tmp.cleanup();
  });

  /** Every page in every representation and encoding: status, ETag and the bytes on the wire. */
  const snapshot = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const path of PAGES) {
      for (const accept of ACCEPTS) {
        for (const encoding of ['identity', 'gzip']) {
          const r = await fetch(`${s.url}${path}`, { headers: { accept, 'accept-encoding': encoding } });
          const body = Buffer.from(await r.arrayBuffer());
          out.push(`${path} ${accept} ${encoding}: ${r.status} ${r.headers.get('etag')} ${createHash('sha256').update(body).digest('hex')}`);
        }
      }
    }
    return out;
  };

  it('keeps every page byte for byte, with its ETag, when files arrive in quarantine', async () => {
    const before = await snapshot();
    const serial = await s.repo.catalog.files.serial();

    // An upload through the API, as twine sends it.
    const up = wheel('1.1');
    const form = new FormData();
    form.append(':action', 'file_upload');
    form.append('sha256_digest', createHash('sha256').update(up.bytes).digest('hex'));
    form.append('content', new Blob([up.bytes]), up.filename);
    const auth = `Basic ${Buffer.from(`__token__:${s.tokens.publisher}`).toString('base64')}`;
    const r = await fetch(`${s.url}/legacy/`, { method: 'POST', headers: { authorization: auth }, body: form });
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(((await r.json()) as { file: { state: string } }).file.state, 'quarantined');
    assert.deepEqual(await snapshot(), before, 'after an upload into quarantine');

    // And one added locally.
    await addFiles(s.repo, [wheel('1.2').path], false);
    assert.ok((await s.repo.catalog.files.serial()) > serial, 'the catalog did change');
    assert.deepEqual(await snapshot(), before, 'after a file added to quarantine');

    const j = (await (await fetch(`${s.url}/simple/quiet/`, { headers: { accept: JSON_TYPE } })).json()) as { meta: object };
    assert.deepEqual(j.meta, { 'api-version': '1.1' });
    const root = (await (await fetch(`${s.url}/simple/`, { headers: { accept: JSON_TYPE } })).json()) as { meta: object; projects: object[] };
    assert.deepEqual(root, { meta: { 'api-version': '1.1' }, projects: [{ name: 'quiet' }] });
  });

  it('answers /healthz with its status only', async () => {
    const r = await fetch(`${s.url}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
  });
});
