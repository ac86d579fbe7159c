// The simple API and files over real HTTP: content negotiation (q-values, ?format=), redirects,
// escaping, PEP 592/658/700 fields, 304s, gzip, Range, quarantined files invisible, cache
// invalidation on approval, and the access log. Real wheels built by python -m build.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { FileRecord } from '../../src/catalog/types.js';
import { approveFiles, rejectFiles, yankFiles } from '../../src/repository/states.js';
import { clientAvailable } from '../helpers/python.js';
import { ADMIN, addFiles, builtProject, startTestServer, type TestServer } from './support.js';

const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const V1_HTML = 'application/vnd.pypi.simple.v1+html';
const skip = clientAvailable('build');

interface ProjectJson {
  meta: { 'api-version': string };
  name: string;
  versions: string[];
  files: {
    filename: string;
    url: string;
    hashes: { sha256: string };
    'requires-python': string | null;
    'core-metadata': { sha256: string } | false;
    'dist-info-metadata': { sha256: string } | false;
    yanked: boolean | string;
    size: number;
    'upload-time': string;
  }[];
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('simple index and files', { skip: skip === true ? false : skip }, () => {
  let s: TestServer;
  let files: FileRecord[];
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}${path}`, { headers, redirect: 'manual' });

  before(async () => {
    s = await startTestServer();
    const lib10 = builtProject({ name: 'pyvet_demo_lib', version: '1.0', requiresPython: '>=3.8, <4' });
    const lib11 = builtProject({ name: 'pyvet_demo_lib', version: '1.1', requiresPython: '>=3.8, <4' });
    const hidden = builtProject({ name: 'pyvet_hidden', version: '1.0' });
    await addFiles(s.repo, [lib10.wheel, lib10.sdist, lib11.wheel], true);
    await addFiles(s.repo, [hidden.wheel, lib11.sdist], false);
    await rejectFiles(s.repo, lib11.sdist.split('/').pop()!, ADMIN, 'not wanted');
    await yankFiles(s.repo, 'pyvet-demo-lib==1.1', ADMIN, 'broken <b>"quoted"</b>');
    files = await s.repo.catalog.files.list();
  });
  after(() => s?.stop());

  const file = (name: string) => files.find((f) => f.filename === name)!;

  it('serves /simple/ as HTML by default, listing only projects with an approved file', async () => {
    const r = await get('/simple/');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(r.headers.get('vary') ?? '', /Accept/);
    const html = await r.text();
    assert.match(html, /<meta name="pypi:repository-version" content="1.1">/);
    assert.match(html, /<a href="pyvet-demo-lib\/">pyvet-demo-lib<\/a>/);
    assert.doesNotMatch(html, /hidden/);
  });

  it('negotiates the representation from Accept q-values and ?format=', async () => {
    const cases: [Record<string, string>, string, number][] = [
      [{ accept: JSON_TYPE }, JSON_TYPE, 200],
      [{ accept: `${JSON_TYPE}, ${V1_HTML};q=0.1, text/html;q=0.01` }, JSON_TYPE, 200], // pip's header
      [{ accept: `${JSON_TYPE};q=0.2, text/html;q=0.9` }, 'text/html; charset=utf-8', 200],
      [{ accept: `${V1_HTML}` }, V1_HTML, 200],
      [{ accept: 'application/vnd.pypi.simple.latest+json' }, JSON_TYPE, 200],
      [{ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }, 'text/html; charset=utf-8', 200],
      [{ accept: '*/*' }, 'text/html; charset=utf-8', 200],
      [{ accept: 'application/*' }, JSON_TYPE, 200],
      [{ accept: 'application/json' }, 'application/json; charset=utf-8', 406],
      [{ accept: `${JSON_TYPE};q=0` }, 'application/json; charset=utf-8', 406],
    ];
    for (const [headers, type, status] of cases) {
      for (const path of ['/simple/', '/simple/pyvet-demo-lib/']) {
        const r = await get(path, headers);
        assert.equal(r.status, status, `${path} ${headers.accept}`);
        assert.equal(r.headers.get('content-type'), type, `${path} ${headers.accept}`);
        if (status === 406) assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'NOT_ACCEPTABLE');
        else await r.arrayBuffer();
      }
    }
    const q = await get(`/simple/pyvet-demo-lib/?format=${encodeURIComponent(JSON_TYPE)}`, { accept: 'text/html' });
    assert.equal(q.headers.get('content-type'), JSON_TYPE);
    assert.equal(((await q.json()) as ProjectJson).name, 'pyvet-demo-lib');
    assert.equal((await get('/simple/?format=text/plain')).status, 406);
    // As typed, the '+' unescaped (it decodes to a space).
    for (const [format, type] of [
      ['application/vnd.pypi.simple.v1+json', JSON_TYPE],
      ['application/vnd.pypi.simple.latest+json', JSON_TYPE],
      ['application/vnd.pypi.simple.v1+html', V1_HTML],
    ]) {
      const r = await get(`/simple/pyvet-demo-lib/?format=${format}`, { accept: 'text/html' });
      assert.equal(r.status, 200, format);
      assert.equal(r.headers.get('content-type'), type, format);
    }
  });

  it('refuses a repeated ?format= with 400, without an error in the log', async () => {
    for (const path of ['/simple/?format=json&format=html', '/simple/pyvet-demo-lib/?format=a&format=b', '/simple/pyvet-demo-lib/?format=json&format=json']) {
      const r = await get(path);
      assert.equal(r.status, 400, path);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'REQUEST_INVALID', path);
      assert.match(body.error.message, /`format` is given more than once/);
    }
    assert.deepEqual(
      s.logs.filter((l) => /"level":(50|60)/.test(l)),
      [],
    );
  });

  it('says Vary: Accept on a 406 as on a 200, so no cache hands it to other clients', async () => {
    for (const path of ['/simple/', '/simple/pyvet-demo-lib/', '/simple/?format=text/plain']) {
      const ok = await get(path.split('?')[0]!);
      await ok.arrayBuffer();
      const r = await get(path, { accept: 'application/json' });
      assert.equal(r.status, 406, path);
      assert.equal(r.headers.get('vary'), ok.headers.get('vary'), path);
      assert.match(r.headers.get('vary')!, /\bAccept\b/);
      await r.arrayBuffer();
    }
  });

  it('redirects non-normalized names and missing slashes to the normalized URL, keeping the query', async () => {
    for (const [path, to] of [
      ['/simple/PyVet_Demo.Lib/', '/simple/pyvet-demo-lib/'],
      ['/simple/pyvet-demo-lib', '/simple/pyvet-demo-lib/'],
      ['/simple/pyvet__demo--lib?format=json', '/simple/pyvet-demo-lib/?format=json'],
      ['/simple', '/simple/'],
    ]) {
      const r = await get(path!);
      assert.equal(r.status, 301, path);
      assert.equal(r.headers.get('location'), to, path);
    }
  });

  it('renders project pages with hashes, escaped requires-python, PEP 658/714 metadata and PEP 592 yanks', async () => {
    const html = await (await get('/simple/pyvet-demo-lib/')).text();
    assert.match(html, /<meta name="pypi:repository-version" content="1.1">/);
    const links = [...html.matchAll(/<a ([^>]*)>([^<]*)<\/a>/g)].map((m) => ({ attrs: m[1]!, name: m[2]! }));
    assert.deepEqual(links.map((l) => l.name).sort(), [
      'pyvet_demo_lib-1.0-py3-none-any.whl',
      'pyvet_demo_lib-1.0.tar.gz',
      'pyvet_demo_lib-1.1-py3-none-any.whl',
    ]);
    for (const l of links) {
      const f = file(l.name);
      assert.ok(l.attrs.includes(`href="../../files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${l.name}#sha256=${f.sha256}"`));
      assert.ok(l.attrs.includes('data-requires-python="&lt;4,&gt;=3.8"'), l.attrs);
      if (f.kind === 'wheel') {
        assert.ok(l.attrs.includes(`data-dist-info-metadata="sha256=${f.metadataSha256}"`));
        assert.ok(l.attrs.includes(`data-core-metadata="sha256=${f.metadataSha256}"`));
      } else {
        // An sdist's PKG-INFO may leave dependencies out: pip must build it, not trust it.
        assert.ok(f.metadataSha256, 'its PKG-INFO is stored');
        assert.ok(!l.attrs.includes('metadata='), l.attrs);
      }
      if (f.version === '1.1') assert.ok(l.attrs.includes('data-yanked="broken &lt;b&gt;&quot;quoted&quot;&lt;/b&gt;"'), l.attrs);
      else assert.ok(!l.attrs.includes('data-yanked'));
    }
  });

  it('renders PEP 691 JSON with PEP 700 versions, size and upload-time', async () => {
    const r = await get('/simple/pyvet-demo-lib/', { accept: JSON_TYPE });
    const j = (await r.json()) as ProjectJson;
    assert.equal(j.meta['api-version'], '1.1');
    assert.deepEqual(j.meta, { 'api-version': '1.1' }, 'no _last-serial: it would show quarantine activity');
    assert.equal(j.name, 'pyvet-demo-lib');
    assert.deepEqual([...j.versions].sort(), ['1.0', '1.1']);
    assert.equal(j.files.length, 3);
    for (const jf of j.files) {
      const f = file(jf.filename);
      assert.deepEqual(jf.hashes, { sha256: f.sha256 });
      assert.equal(jf.url, `../../files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${f.filename}`);
      assert.equal(jf['requires-python'], '<4,>=3.8'); // as setuptools wrote it
      const metadata = f.kind === 'wheel' ? { sha256: f.metadataSha256 } : false;
      assert.deepEqual(jf['core-metadata'], metadata);
      assert.deepEqual(jf['dist-info-metadata'], metadata);
      assert.equal(jf.size, f.size);
      assert.match(jf['upload-time'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      assert.equal(jf.yanked, f.version === '1.1' ? 'broken <b>"quoted"</b>' : false);
    }
    const root = (await (await get('/simple/', { accept: JSON_TYPE })).json()) as {
      meta: { 'api-version': string };
      projects: { name: string }[];
    };
    assert.equal(root.meta['api-version'], '1.1');
    assert.deepEqual(root.projects.map((p) => p.name), ['pyvet-demo-lib']);
  });

  it('answers If-None-Match with 304 and gzips pages for clients that accept it', async () => {
    for (const accept of [JSON_TYPE, 'text/html']) {
      // fetch() asks for gzip by default: ask for the identity form explicitly first.
      const r = await get('/simple/pyvet-demo-lib/', { accept, 'accept-encoding': 'identity' });
      const etag = r.headers.get('etag')!;
      const body = Buffer.from(await r.arrayBuffer());
      assert.match(etag, /^"[^"]+"$/, 'a strong ETag');
      const again = await get('/simple/pyvet-demo-lib/', { accept, 'accept-encoding': 'identity', 'if-none-match': etag });
      assert.equal(again.status, 304);
      assert.equal(again.headers.get('etag'), etag);
      // fetch() decompresses transparently; rawGet below checks the bytes on the wire.
      const gz = await fetch(`${s.url}/simple/pyvet-demo-lib/`, { headers: { accept, 'accept-encoding': 'gzip' } });
      assert.equal(gz.headers.get('content-encoding'), 'gzip');
      assert.deepEqual(Buffer.from(await gz.arrayBuffer()), body, 'decompressed gzip equals the plain page');
      const gzTag = gz.headers.get('etag')!;
      assert.notEqual(gzTag, etag, 'the gzip form has its own strong ETag');
      assert.equal((await get('/simple/pyvet-demo-lib/', { accept, 'if-none-match': gzTag })).status, 304);
      const plain = await get('/simple/pyvet-demo-lib/', { accept, 'accept-encoding': 'gzip;q=0, identity' });
      assert.equal(plain.headers.get('content-encoding'), null);
    }
    // A page honours If-Match too (a client that cached one representation).
    const page = await get('/simple/pyvet-demo-lib/', { accept: JSON_TYPE });
    const pageTag = page.headers.get('etag')!;
    await page.arrayBuffer();
    assert.equal((await get('/simple/pyvet-demo-lib/', { accept: JSON_TYPE, 'if-match': pageTag })).status, 200);
    assert.equal((await get('/simple/pyvet-demo-lib/', { accept: JSON_TYPE, 'if-match': '"stale"' })).status, 412);
    // It compares with the representation this request gets: the gzip form has its own tag.
    const plain = await fetch(`${s.url}/simple/pyvet-demo-lib/`, { headers: { accept: JSON_TYPE, 'accept-encoding': 'identity' } });
    const plainTag = plain.headers.get('etag')!;
    await plain.arrayBuffer();
    const gzTag = pageTag; // fetch() asked for gzip
    assert.notEqual(gzTag, plainTag);
    const ifm = (tag: string, enc: string) => fetch(`${s.url}/simple/pyvet-demo-lib/`, { headers: { accept: JSON_TYPE, 'accept-encoding': enc, 'if-match': tag } });
    assert.equal((await ifm(plainTag, 'gzip')).status, 412);
    assert.equal((await ifm(gzTag, 'gzip')).status, 200);
    assert.equal((await ifm(gzTag, 'identity')).status, 412);
    assert.equal((await ifm(plainTag, 'identity')).status, 200);
    // The two HTML types carry the same bytes but are two representations: two strong ETags.
    const tags = await Promise.all(
      ['text/html', V1_HTML].map(async (accept) => (await get('/simple/pyvet-demo-lib/', { accept, 'accept-encoding': 'identity' })).headers.get('etag')),
    );
    assert.notEqual(tags[0], tags[1]);
    const raw = await rawGet(`${s.url}/simple/pyvet-demo-lib/`, { 'accept-encoding': 'gzip' });
    assert.equal(raw.headers['content-encoding'], 'gzip');
    assert.match(gunzipSync(raw.body).toString(), /Links for pyvet-demo-lib/);
  });

  it('serves approved files with type, length, strong ETag, immutability, 304 and ranges', async () => {
    for (const [name, type] of [
      ['pyvet_demo_lib-1.0-py3-none-any.whl', 'application/zip'],
      ['pyvet_demo_lib-1.0.tar.gz', 'application/gzip'],
    ] as const) {
      const f = file(name);
      const path = `/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${name}`;
      const r = await get(path);
      assert.equal(r.status, 200);
      const body = new Uint8Array(await r.arrayBuffer());
      assert.equal(sha256(body), f.sha256);
      assert.equal(r.headers.get('content-type'), type);
      assert.equal(r.headers.get('content-length'), String(f.size));
      assert.equal(r.headers.get('etag'), `"${f.sha256}"`);
      assert.match(r.headers.get('cache-control')!, /immutable/);
      assert.ok(r.headers.get('last-modified'));
      assert.equal((await get(path, { 'if-none-match': `"${f.sha256}"` })).status, 304);
      assert.equal((await get(path, { 'if-modified-since': r.headers.get('last-modified')! })).status, 304);
      // If-Match and If-Unmodified-Since (RFC 9110 §13.1.1, §13.1.4): 412 when they fail.
      const lastModified = Date.parse(r.headers.get('last-modified')!);
      for (const [headers, status] of [
        [{ 'if-match': '"other"' }, 412],
        [{ 'if-match': `W/"${f.sha256}"` }, 412], // weak tags never match strongly
        [{ 'if-match': `"other", "${f.sha256}"` }, 200],
        [{ 'if-match': '*' }, 200],
        [{ 'if-unmodified-since': new Date(lastModified - 1000).toUTCString() }, 412],
        [{ 'if-unmodified-since': r.headers.get('last-modified')! }, 200],
        [{ 'if-match': '*', 'if-unmodified-since': new Date(lastModified - 1000).toUTCString() }, 200], // If-Match wins
      ] as [Record<string, string>, number][]) {
        const c = await get(path, headers);
        assert.equal(c.status, status, JSON.stringify(headers));
        if (status === 412) assert.equal(c.headers.get('etag'), `"${f.sha256}"`);
        await c.arrayBuffer();
      }
      // If-Range with the ETag or the exact Last-Modified resumes (206); anything else sends it all.
      for (const [ifRange, status] of [
        [`"${f.sha256}"`, 206],
        [r.headers.get('last-modified')!, 206],
        ['"other"', 200],
        [new Date(lastModified + 1000).toUTCString(), 200],
      ] as [string, number][]) {
        const c = await get(path, { range: 'bytes=0-9', 'if-range': ifRange });
        assert.equal(c.status, status, ifRange);
        await c.arrayBuffer();
      }
      const part = await get(path, { range: 'bytes=10-19' });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 10-19/${f.size}`);
      assert.deepEqual(new Uint8Array(await part.arrayBuffer()), body.subarray(10, 20));
      const tail = await get(path, { range: 'bytes=-5' });
      assert.deepEqual(new Uint8Array(await tail.arrayBuffer()), body.subarray(body.length - 5));
      const bad = await get(path, { range: `bytes=${f.size + 10}-` });
      assert.equal(bad.status, 416);
      assert.equal(bad.headers.get('content-range'), `bytes */${f.size}`);
      const head = await fetch(`${s.url}${path}`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers.get('content-length'), String(f.size));
    }
  });

  it('serves the core metadata at <file URL>.metadata, matching the advertised digest', async () => {
    const f = file('pyvet_demo_lib-1.0-py3-none-any.whl');
    const path = `/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${f.filename}.metadata`;
    const r = await get(path);
    assert.equal(r.status, 200);
    const body = new Uint8Array(await r.arrayBuffer());
    assert.equal(sha256(body), f.metadataSha256);
    assert.match(Buffer.from(body).toString(), /^Metadata-Version: .*\nName: pyvet-demo-lib\n/);
    assert.equal(r.headers.get('etag'), `"${f.metadataSha256}"`);
    assert.equal((await get(path, { 'if-none-match': `"${f.metadataSha256}"` })).status, 304);
    // An sdist's is not served: its page does not link one (see above).
    const sdist = file('pyvet_demo_lib-1.0.tar.gz');
    const sdistPath = `/files/${sdist.sha256.slice(0, 2)}/${sdist.sha256.slice(2, 4)}/${sdist.sha256}/${sdist.filename}`;
    assert.equal((await get(sdistPath)).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await get(`${sdistPath}.metadata`)).status, 404, 'twice: from the catalog, then from memory');
  });

  it('never shows quarantined or rejected files, unknown projects or wrong digests', async () => {
    assert.equal((await get('/simple/pyvet-hidden/')).status, 404);
    const nf = await get('/simple/no-such-project/', { accept: JSON_TYPE });
    assert.equal(nf.status, 404);
    assert.equal(((await nf.json()) as { error: { code: string } }).error.code, 'PROJECT_NOT_FOUND');
    const hidden = file('pyvet_hidden-1.0-py3-none-any.whl');
    const rejected = file('pyvet_demo_lib-1.1.tar.gz');
    assert.equal(hidden.state, 'quarantined');
    assert.equal(rejected.state, 'rejected');
    for (const f of [hidden, rejected]) {
      const path = `/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${f.filename}`;
      assert.equal((await get(path)).status, 404, path);
      assert.equal((await get(`${path}.metadata`)).status, 404, `${path}.metadata`);
    }
    const ok = file('pyvet_demo_lib-1.0-py3-none-any.whl');
    const other = hidden.sha256;
    assert.equal((await get(`/files/${other.slice(0, 2)}/${other.slice(2, 4)}/${other}/${ok.filename}`)).status, 404);
    assert.equal((await get(`/files/00/00/${ok.sha256}/${ok.filename}`)).status, 404);
    const long = `x-1.0-cp311-cp311-${'manylinux_2_28_x86_64.'.repeat(10)}whl.metadata`;
    assert.equal((await get(`/files/${ok.sha256.slice(0, 2)}/${ok.sha256.slice(2, 4)}/${ok.sha256}/${long}`)).status, 404, 'long names are not 414');
  });

  it('shows a file as soon as it is approved (pages re-render when the catalog serial moves)', async () => {
    const before = await get('/simple/', { accept: JSON_TYPE });
    const etag = before.headers.get('etag')!;
    await before.arrayBuffer();
    await approveFiles(s.repo, 'pyvet_hidden-1.0-py3-none-any.whl', ADMIN, 'reviewed');
    const r = await get('/simple/pyvet-hidden/', { accept: JSON_TYPE });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as ProjectJson).files.length, 1);
    const root = await get('/simple/', { accept: JSON_TYPE, 'if-none-match': etag });
    assert.equal(root.status, 200, 'the old ETag no longer matches');
    assert.match(await root.text(), /pyvet-hidden/);
  });

  it('writes one access-log line per request with method, url, status and duration', async () => {
    await (await get('/simple/pyvet-demo-lib/?probe=1')).arrayBuffer();
    const line = s.accessLog().find((l) => l.url === '/simple/pyvet-demo-lib/?probe=1');
    assert.ok(line, 'the request is in the access log');
    assert.equal(line.method, 'GET');
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, 'number');
    assert.ok(s.accessLog().some((l) => l.status === 404 && l.url === '/simple/pyvet-hidden/'));
  });

  it('answers /healthz and /metrics', async () => {
    const h = await get('/healthz');
    assert.equal(h.status, 200);
    assert.equal(((await h.json()) as { status: string }).status, 'ok');
    const m = await (await get('/metrics')).text();
    assert.match(m, /^pyvet_http_requests_total\{route="\/simple\/:project\/",method="GET",status="200"\} \d+$/m);
    assert.match(m, /^pyvet_http_request_duration_seconds_bucket\{route="\/simple\/",le="\+Inf"\} \d+$/m);
    assert.match(m, /^pyvet_files\{state="approved"\} 4$/m);
    assert.match(m, /^pyvet_files\{state="rejected"\} 1$/m);
    assert.match(m, /^pyvet_cache_hits_total\{cache="pages"\} [1-9]\d*$/m);
    assert.match(m, /^process_resident_memory_bytes \d+$/m);
  });
});

/** A GET through node:http that does not decompress, to see the bytes on the wire. */
async function rawGet(url: string, headers: Record<string, string>): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    })
      .on('error', reject)
      .end();
  });
}
