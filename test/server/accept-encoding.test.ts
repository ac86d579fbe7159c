// Accept-Encoding as RFC 9110 §12.5.3 reads it: an explicit gzip entry outranks `*` wherever
// either stands in the list, q=0 refuses, codings are case-insensitive and spaces do not matter;
// pages are sent gzipped exactly when gzip is acceptable, by the hot path and by Fastify alike.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { acceptsGzip } from '../../src/server/http.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';
import { addFiles, startTestServer, type TestServer } from './support.js';

const CASES: [string | undefined, boolean][] = [
  [undefined, false],
  ['', false],
  ['gzip', true],
  ['GZIP', true],
  ['x-gzip', true],
  ['gzip, deflate, br', true],
  ['identity', false],
  ['deflate, br', false],
  ['*', true],
  ['*;q=1, gzip;q=0', false],
  ['gzip;q=0, *;q=1', false],
  ['* , gzip ; q = 0', false],
  ['gzip;q=0.0', false],
  ['gzip;q=0.000', false],
  ['gzip; q=0.001', true],
  ['gzip;q=0', false],
  ['*;q=0, gzip', true],
  ['gzip, *;q=0', true],
  ['*;q=0', false],
  ['deflate, *;q=0.1', true],
  ['identity, *;q=0', false],
  ['  GZip ;Q=0.5 ', true],
  ['gzip;level=9;q=0', false],
  ['gzip;q=nonsense', false],
];

describe('acceptsGzip', () => {
  it('follows RFC 9110 §12.5.3 whatever the order, case and spacing', () => {
    for (const [header, expected] of CASES) {
      // Twice: the second answer comes from memory.
      for (let i = 0; i < 2; i++) assert.equal(acceptsGzip(header), expected, JSON.stringify(header));
    }
  });
});

for (const hotPath of [true, false]) describe(`gzip on the wire (${hotPath ? 'hot path' : 'Fastify only'})`, () => {
  let s: TestServer;
  const tmp = tempDir();
  before(async () => {
    s = await startTestServer(undefined, { hotPath });
    const w = buildWheel({ name: 'gz-demo', version: '1.0' });
    await addFiles(s.repo, [writeArchive(tmp.path, w.filename, w.bytes)], true);
  });
  after(async () => {
    await s?.stop();
    tmp.cleanup();
  });

  const encodingOf = (headers: Record<string, string>) =>
    new Promise<string | undefined>((resolve, reject) => {
      request(`${s.url}/simple/gz-demo/`, { headers }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers['content-encoding']));
      })
        .on('error', reject)
        .end();
    });

  it('sends the gzip form exactly when gzip is acceptable', async () => {
    for (const [header, expected] of CASES) {
      const headers: Record<string, string> = header === undefined ? {} : { 'accept-encoding': header };
      assert.equal(await encodingOf(headers), expected ? 'gzip' : undefined, JSON.stringify(header));
    }
  });
});
