// The Prometheus exposition of request counts and latencies: counts per route, method and
// status, cumulative histogram buckets with +Inf, sum and count.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../src/server/metrics.js';

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
});
