// The Prometheus exposition of request counts and latencies: counts per route, method and
// status, cumulative histogram buckets with +Inf, sum and count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Family, Metrics, mergeSnapshots, renderSnapshot } from '../../src/server/metrics.js';

describe('Metrics', () => {
  it('renders counts per route, method and status, and cumulative latency buckets', () => {
    const m = new Metrics();
    for (const s of [0.0001, 0.0004, 0.002, 0.3, 20]) m.observe('/simple/', 'GET', 200, s);
    m.observe('/simple/', 'HEAD', 304, 0.0002);
    m.observe('/files/:a', 'GET', 404, 0.0002);
    const text = m.render([{ name: 'pyvet_demo', help: 'A gauge.', type: 'gauge', values: [[{ cache: 'pages' }, 7]] }]);
    const line = (re: RegExp) => re.exec(text)?.[1];
    assert.equal(line(/^pyvet_http_requests_total\{route="\/simple\/",method="GET",status="200"\} (\d+)$/m), '5');
    assert.equal(line(/^pyvet_http_requests_total\{route="\/simple\/",method="HEAD",status="304"\} (\d+)$/m), '1');
    assert.equal(line(/^pyvet_http_requests_total\{route="\/files\/:a",method="GET",status="404"\} (\d+)$/m), '1');
    const bucket = (le: string) => line(new RegExp(`^pyvet_http_request_duration_seconds_bucket\\{route="/simple/",le="${le.replace('+', '\\+')}"\\} (\\d+)$`, 'm'));
    assert.deepEqual(['0.0005', '0.001', '0.0025', '0.25', '0.5', '10', '+Inf'].map(bucket), ['3', '3', '4', '4', '5', '5', '6']);
    assert.equal(line(/^pyvet_http_request_duration_seconds_count\{route="\/simple\/"\} (\d+)$/m), '6');
    assert.equal(Number(line(/^pyvet_http_request_duration_seconds_sum\{route="\/simple\/"\} ([\d.]+)$/m)).toFixed(4), '20.3027');
    assert.match(text, /^pyvet_demo\{cache="pages"\} 7$/m);
  });

  it('merges workers: counters and histograms summed, per-process gauges by worker, shared ones once', () => {
    const worker = (n: number, rss: number) => {
      const m = new Metrics();
      for (let i = 0; i < n; i++) m.observe('/healthz', 'GET', 200, 0.0002);
      const families: Family[] = [
        { name: 'pyvet_files', help: 'Files.', type: 'gauge', merge: 'shared', values: [[{ state: 'approved' }, 4]] },
        { name: 'pyvet_cache_hits_total', help: 'Hits.', type: 'counter', values: [[{ cache: 'pages' }, n * 2]] },
        { name: 'process_resident_memory_bytes', help: 'RSS.', type: 'gauge', merge: 'worker', values: [[{}, rss]] },
      ];
      return m.snapshot(families);
    };
    const text = renderSnapshot(
      mergeSnapshots([
        { worker: '1', snapshot: worker(3, 100) },
        { worker: '2', snapshot: worker(5, 200) },
      ]),
    );
    assert.match(text, /^pyvet_http_requests_total\{route="\/healthz",method="GET",status="200"\} 8$/m);
    assert.match(text, /^pyvet_http_request_duration_seconds_bucket\{route="\/healthz",le="0.0005"\} 8$/m);
    assert.match(text, /^pyvet_http_request_duration_seconds_count\{route="\/healthz"\} 8$/m);
    assert.match(text, /^pyvet_files\{state="approved"\} 4$/m);
    assert.match(text, /^pyvet_cache_hits_total\{cache="pages"\} 16$/m);
    assert.match(text, /^process_resident_memory_bytes\{worker="1"\} 100\nprocess_resident_memory_bytes\{worker="2"\} 200$/m);
    assert.equal(text.match(/^# TYPE process_resident_memory_bytes gauge$/gm)?.length, 1);
  });
});
