// Prometheus metrics kept in process: request counts by route and status, a latency histogram
// per route, plus gauges read at scrape time (files by state, page cache, memory).

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  /** Per bucket, the requests that fell in it and no smaller one (made cumulative when rendered). */
  counts: number[];
  sum: number;
  count: number;
}

function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export class Metrics {
  /** route → method → status → count: nested, so that counting a request builds no key string. */
  private readonly requests = new Map<string, Map<string, Map<number, number>>>();
  private readonly latency = new Map<string, Histogram>();

  /** Records one answered request; `route` is the route pattern, never the raw URL (bounded labels). */
  observe(route: string, method: string, status: number, seconds: number): void {
    let byMethod = this.requests.get(route);
    if (!byMethod) this.requests.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    let h = this.latency.get(route);
    if (!h) {
      h = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.latency.set(route, h);
    }
    let i = 0;
    while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
    if (i < BUCKETS.length) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** The exposition text; `gauges` are name → (labels → value) read by the caller at scrape time. */
  render(gauges: { name: string; help: string; type: 'gauge' | 'counter'; values: [Record<string, string>, number][] }[]): string {
    const out: string[] = [];
    out.push('# HELP pyvet_http_requests_total HTTP requests answered, by route pattern, method and status.');
    out.push('# TYPE pyvet_http_requests_total counter');
    for (const [route, byMethod] of this.requests) {
      for (const [method, byStatus] of byMethod) {
        for (const [status, n] of byStatus) {
          out.push(`pyvet_http_requests_total{route="${label(route)}",method="${method}",status="${status}"} ${n}`);
        }
      }
    }
    out.push('# HELP pyvet_http_request_duration_seconds Time to answer a request, by route pattern.');
    out.push('# TYPE pyvet_http_request_duration_seconds histogram');
    for (const [route, h] of this.latency) {
      const r = label(route);
      let cumulative = 0;
      BUCKETS.forEach((b, i) => {
        cumulative += h.counts[i]!;
        out.push(`pyvet_http_request_duration_seconds_bucket{route="${r}",le="${b}"} ${cumulative}`);
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
