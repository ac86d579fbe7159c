// /metrics under `serve --workers 2`: whichever worker answers the scrape, it reports the totals
// of all of them, and counters never go backwards, not even when a worker dies and is replaced.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/paths.js';
import { spawnServe } from './support.js';

const childrenOf = (pid: number) =>
  existsSync(`/proc/${pid}/task/${pid}/children`)
    ? readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
    : [];

/** GET over a fresh connection (no keep-alive), so that successive requests reach both workers. */
function fresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    }).on('error', reject);
  });
}

const value = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};
const HEALTHZ = 'pyvet_http_requests_total{route="/healthz",method="GET",status="200"}';
const HEALTHZ_COUNT = 'pyvet_http_request_duration_seconds_count{route="/healthz"}';
const HEALTHZ_INF = 'pyvet_http_request_duration_seconds_bucket{route="/healthz",le="+Inf"}';
const METRICS = 'pyvet_http_requests_total{route="/metrics",method="GET",status="200"}';

describe('/metrics with --workers', () => {
  it('sums every worker on each scrape, and its counters never decrease, across a worker restart', async () => {
    const tmp = tempDir('pyvet-metrics-workers-');
    const server = await spawnServe(join(tmp.path, 'data'), { PYVET_LOG_LEVEL: 'warn' }, ['--workers', '2']);
    try {
      const scrape = async () => {
        const r = await fresh(`${server.url}/metrics`);
        assert.equal(r.status, 200, r.body);
        return r.body;
      };
      const scrapes: string[] = [];
      const sent = async (n: number) => {
        for (let i = 0; i < n; i++) assert.equal((await fresh(`${server.url}/healthz`)).status, 200);
      };
      await sent(100);
      for (let i = 0; i < 6; i++) scrapes.push(await scrape());
      for (const [i, text] of scrapes.entries()) {
        assert.equal(value(text, HEALTHZ), 100, `scrape ${i}: the requests answered by both workers`);
        assert.equal(value(text, HEALTHZ_COUNT), 100);
        assert.equal(value(text, HEALTHZ_INF), 100);
        // Each scrape sees the scrapes before it, wherever they were answered.
        assert.equal(value(text, METRICS), i, `scrape ${i}: earlier scrapes`);
      }
      // One series per process for what describes a process; the catalog's counts once.
      const last = scrapes.at(-1)!;
      assert.equal(last.match(/^process_resident_memory_bytes\{worker="[^"]+"\} \d+$/gm)?.length, 3, 'two workers and the primary');
      assert.equal(last.match(/^pyvet_files\{state="approved"\} 0$/gm)?.length, 1);
      assert.equal(last.match(/^pyvet_cache_hits_total\{cache="pages"\} \d+$/gm)?.length, 1, 'summed');

      // A worker dies (after the last scrape saw it); its replacement starts from zero.
      const [victim] = childrenOf(server.pid);
      process.kill(victim!, 'SIGKILL');
      let workers = childrenOf(server.pid);
      while (workers.length < 2 || workers.includes(victim!)) {
        await new Promise((r) => setTimeout(r, 50));
        workers = childrenOf(server.pid);
      }
      await new Promise((r) => setTimeout(r, 1000)); // the new worker listens
      let previous = value(last, METRICS);
      for (let i = 0; i < 4; i++) {
        const text = await scrape();
        assert.equal(value(text, HEALTHZ), 100, 'the dead worker still counts');
        assert.ok(value(text, METRICS) >= previous, `/metrics count ${value(text, METRICS)} after ${previous}`);
        previous = value(text, METRICS);
      }
      await sent(10);
      const after = await scrape();
      assert.equal(value(after, HEALTHZ), 110);
      assert.equal(value(after, HEALTHZ_COUNT), 110);
      await server.stop();
      assert.equal(server.exitCode(), 0);
    } finally {
      await server.stop();
      tmp.cleanup();
    }
  });
});
