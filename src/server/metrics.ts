// Prometheus metrics kept in process: request counts by route and status, a latency histogram
// per route, plus gauges read at scrape time (files by state, page cache, memory).

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();

  /** Records one answered request; `route` is the route pattern, never the raw URL (bounded labels). */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `${route}\u0000${method}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(route, h);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** The exposition text; `gauges` are name → (labels → value) read by the caller at scrape time. */
  render(gauges: { name: string; help: string; type: 'gauge' | 'counter'; values: [Record<string, string>, number][] }[]): string {
    const out: string[] = [];
    out.push('# HELP pyvet_http_requests_total HTTP requests answered, by route pattern, method and status.');
    out.push('# TYPE pyvet_http_requests_total counter');
    for (const [key, n] of this.requests) {
      const [route, method, status] = key.split('\u0000');
      out.push(`pyvet_http_requests_total{route="${label(route!)}",method="${method}",status="${status}"} ${n}`);
    }
    out.push('# HELP pyvet_http_request_duration_seconds Time to answer a request, by route pattern.');
    out.push('# TYPE pyvet_http_request_duration_seconds histogram');
    for (const [route, h] of this.latency) {
      const r = label(route);
      BUCKETS.forEach((b, i) => {
        out.push(`pyvet_http_request_duration_seconds_bucket{route="${r}",le="${b}"} ${h.counts[i]}`);
      });
      out.push(`pyvet_http_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${h.count}`);
      out.push(`pyvet_http_request_duration_seconds_sum{route="${r}"} ${h.sum}`);
      out.push(`pyvet_http_request_duration_seconds_count{route="${r}"} ${h.count}`);
    }
    for (const g of gauges) {
      out.push(`# HELP ${g.name} ${g.help}`);
      out.push(`# TYPE ${g.name} ${g.type}`);
      for (const [labels, v] of g.values) {
        const l = Object.entries(labels)
          .map(([k, x]) => `${k}="${label(x)}"`)
          .join(',');
        out.push(`${g.name}${l ? `{${l}}` : ''} ${v}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
