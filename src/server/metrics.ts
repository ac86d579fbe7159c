// Prometheus metrics kept in process: request counts by route and status, a latency histogram
// per route, plus families read at scrape time (files by state, page cache, memory).
//
// With `serve --workers N` every worker counts only what it answered, so a scrape must see all
// of them: the worker answering /metrics asks the primary (workerScrape), which collects a
// snapshot from every live worker and merges them (ClusterMetrics). Counters and histograms are
// summed; what describes one process (its memory, its caches' bytes) keeps one series per
// process under a `worker` label; what every worker reads from the shared catalog is taken once.
import type { Worker } from 'node:cluster';
import cluster from 'node:cluster';
import { PyvetError } from '../errors.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Histogram {
  /** Per bucket, the requests that fell in it and no smaller one (made cumulative when rendered). */
  counts: number[];
  sum: number;
  count: number;
}

/** A metric family read at scrape time; values are (labels, value) pairs. */
export interface Family {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  /**
   * How scrapes of several workers combine it: 'sum' (the default, what counters need),
   * 'worker' (one series per process with a `worker` label: memory, cache sizes) or 'shared'
   * (the same in every worker, e.g. read from the catalog: taken from one of them).
   */
  merge?: 'sum' | 'worker' | 'shared';
  values: [Record<string, string>, number][];
}

/** Everything one process would expose, in a form that crosses the cluster IPC channel (JSON). */
export interface MetricsSnapshot {
  /** [route, method, status, count] */
  requests: [string, string, number, number][];
  /** [route, per-bucket counts (not cumulative), sum, count] */
  latency: [string, number[], number, number][];
  families: Family[];
}

/** This process's resident memory; one series per process when workers are merged. */
export function residentMemory(): Family {
  return {
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes; with --workers, one series per process (label worker: a cluster worker id, or primary).',
    type: 'gauge',
    merge: 'worker',
    values: [[{}, process.memoryUsage.rss()]],
  };
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

  /** This process's counts and histograms, with `families` read by the caller at scrape time. */
  snapshot(families: Family[]): MetricsSnapshot {
    const requests: MetricsSnapshot['requests'] = [];
    for (const [route, byMethod] of this.requests) {
      for (const [method, byStatus] of byMethod) {
        for (const [status, n] of byStatus) requests.push([route, method, status, n]);
      }
    }
    const latency: MetricsSnapshot['latency'] = [];
    for (const [route, h] of this.latency) latency.push([route, [...h.counts], h.sum, h.count]);
    return { requests, latency, families };
  }

  /** The exposition text of this process alone. */
  render(families: Family[]): string {
    return renderSnapshot(this.snapshot(families));
  }
}

/** The Prometheus text exposition (format 0.0.4) of a snapshot. */
export function renderSnapshot(s: MetricsSnapshot): string {
  const out: string[] = [];
  out.push('# HELP pyvet_http_requests_total HTTP requests answered, by route pattern, method and status.');
  out.push('# TYPE pyvet_http_requests_total counter');
  for (const [route, method, status, n] of s.requests) {
    out.push(`pyvet_http_requests_total{route="${label(route)}",method="${method}",status="${status}"} ${n}`);
  }
  out.push('# HELP pyvet_http_request_duration_seconds Time to answer a request, by route pattern.');
  out.push('# TYPE pyvet_http_request_duration_seconds histogram');
  for (const [route, counts, sum, count] of s.latency) {
    const r = label(route);
    let cumulative = 0;
    BUCKETS.forEach((b, i) => {
      cumulative += counts[i]!;
      out.push(`pyvet_http_request_duration_seconds_bucket{route="${r}",le="${b}"} ${cumulative}`);
    });
    out.push(`pyvet_http_request_duration_seconds_bucket{route="${r}",le="+Inf"} ${count}`);
    out.push(`pyvet_http_request_duration_seconds_sum{route="${r}"} ${sum}`);
    out.push(`pyvet_http_request_duration_seconds_count{route="${r}"} ${count}`);
  }
  for (const g of s.families) {
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

const seriesKey = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/**
 * Merges the snapshots of several processes (see the header comment); `worker` names each one
 * in the `worker` label of per-process families. Series keep the order they first appear in.
 */
export function mergeSnapshots(parts: { worker: string; snapshot: MetricsSnapshot }[]): MetricsSnapshot {
  const requests = new Map<string, [string, string, number, number]>();
  const latency = new Map<string, [string, number[], number, number]>();
  const families = new Map<string, { family: Family; series: Map<string, [Record<string, string>, number]> }>();
  for (const { worker, snapshot } of parts) {
    for (const [route, method, status, n] of snapshot.requests) {
      const key = `${route}\0${method}\0${status}`;
      const r = requests.get(key);
      if (r) r[3] += n;
      else requests.set(key, [route, method, status, n]);
    }
    for (const [route, counts, sum, count] of snapshot.latency) {
      const h = latency.get(route);
      if (!h) latency.set(route, [route, [...counts], sum, count]);
      else {
        counts.forEach((c, i) => {
          h[1][i] = (h[1][i] ?? 0) + c;
        });
        h[2] += sum;
        h[3] += count;
      }
    }
    for (const f of snapshot.families) {
      let m = families.get(f.name);
      if (!m) families.set(f.name, (m = { family: { ...f, values: [] }, series: new Map() }));
      const how = f.merge ?? 'sum';
      for (const [labels, v] of f.values) {
        const l = how === 'worker' ? { ...labels, worker } : labels;
        const key = seriesKey(l);
        const s = m.series.get(key);
        if (!s) m.series.set(key, [l, v]);
        else if (how === 'sum') s[1] += v;
      }
    }
  }
  return {
    requests: [...requests.values()],
    latency: [...latency.values()],
    families: [...families.values()].map(({ family, series }) => ({ ...family, values: [...series.values()] })),
  };
}

// --- across node:cluster workers ---------------------------------------------------------------

/** How long the primary waits for one worker's snapshot before using its previous one. */
const WORKER_SNAPSHOT_MS = 1000;
/** How long a worker waits for the primary's merge before failing the scrape (503, not wrong totals). */
const PRIMARY_MERGE_MS = 3000;

type Message =
  | { pyvet: 'metrics?'; id: number }
  | { pyvet: 'metrics'; id: number; snapshot: MetricsSnapshot | null }
  | { pyvet: 'snapshot?'; id: number }
  | { pyvet: 'snapshot'; id: number; snapshot: MetricsSnapshot };

const isMessage = (m: unknown): m is Message =>
  typeof m === 'object' && m !== null && typeof (m as { pyvet?: unknown }).pyvet === 'string';

/**
 * In a cluster worker: answers the primary's snapshot requests with `local()`, and returns the
 * scrape function for /metrics (the merge of every worker). `stop` removes the IPC listener.
 */
export function workerMetrics(local: () => Promise<MetricsSnapshot>): { scrape: () => Promise<MetricsSnapshot>; stop: () => void } {
  let next = 0;
  const waiting = new Map<number, (s: MetricsSnapshot | null) => void>();
  const onMessage = (m: unknown) => {
    if (!isMessage(m)) return;
    if (m.pyvet === 'snapshot?') {
      local().then(
        (snapshot) => process.send?.({ pyvet: 'snapshot', id: m.id, snapshot } satisfies Message),
        () => {}, // the primary uses this worker's previous snapshot
      );
    } else if (m.pyvet === 'metrics') {
      waiting.get(m.id)?.(m.snapshot);
    }
  };
  process.on('message', onMessage);
  const scrape = () =>
    new Promise<MetricsSnapshot>((resolve, reject) => {
      const id = ++next;
      const fail = () => {
        waiting.delete(id);
        reject(new PyvetError('METRICS_UNAVAILABLE', 'unavailable', 'the other workers did not report their metrics in time'));
      };
      const timer = setTimeout(fail, PRIMARY_MERGE_MS);
      waiting.set(id, (snapshot) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (snapshot) resolve(snapshot);
        else fail();
      });
      if (!process.connected) fail();
      else process.send!({ pyvet: 'metrics?', id } satisfies Message);
    });
  return { scrape, stop: () => process.off('message', onMessage) };
}

/**
 * In the cluster primary: merges every worker's snapshot for the worker that was scraped.
 * Totals never go backwards while the primary runs: a worker that does not answer in time counts
 * with its previous snapshot, and a dead worker's last snapshot stays added in (`retire`), so a
 * restarted worker starting again from zero does not look like a counter reset.
 */
export class ClusterMetrics {
  /** Each worker's latest snapshot, by cluster worker id. */
  private readonly last = new Map<number, MetricsSnapshot>();
  /** Workers already retired: a snapshot arriving late from one must not count twice. */
  private readonly gone = new Set<number>();
  /** The counters and histograms of workers that exited, as of their last snapshot. */
  private retired: MetricsSnapshot = { requests: [], latency: [], families: [] };
  private next = 0;
  private readonly waiting = new Map<number, Map<number, (s: MetricsSnapshot | undefined) => void>>();

  /** Handles a worker's message; false when it is not about metrics. */
  onMessage(worker: Worker, m: unknown): boolean {
    if (!isMessage(m)) return false;
    if (m.pyvet === 'metrics?') {
      this.collect().then(
        (snapshot) => worker.isConnected() && worker.send({ pyvet: 'metrics', id: m.id, snapshot } satisfies Message),
        () => worker.isConnected() && worker.send({ pyvet: 'metrics', id: m.id, snapshot: null } satisfies Message),
      );
    } else if (m.pyvet === 'snapshot') {
      this.waiting.get(worker.id)?.get(m.id)?.(m.snapshot);
    } else return false;
    return true;
  }

  /** A worker exited: its last snapshot's counters stay in the totals. */
  retire(worker: Worker): void {
    this.gone.add(worker.id);
    for (const resolve of this.waiting.get(worker.id)?.values() ?? []) resolve(undefined);
    this.waiting.delete(worker.id);
    const last = this.last.get(worker.id);
    this.last.delete(worker.id);
    if (!last) return;
    const counters = { ...last, families: last.families.filter((f) => (f.merge ?? 'sum') === 'sum') };
    this.retired = mergeSnapshots([
      { worker: 'retired', snapshot: this.retired },
      { worker: 'retired', snapshot: counters },
    ]);
  }

  /** Asks a worker for its snapshot; resolves once `last` holds its newest (or the wait timed out). */
  private snapshotOf(worker: Worker): Promise<void> {
    return new Promise((resolve) => {
      const id = ++this.next;
      let pending = this.waiting.get(worker.id);
      if (!pending) this.waiting.set(worker.id, (pending = new Map()));
      const done = (s: MetricsSnapshot | undefined) => {
        clearTimeout(timer);
        pending.delete(id);
        if (s && !this.gone.has(worker.id)) this.last.set(worker.id, s);
        resolve();
      };
      const timer = setTimeout(() => done(undefined), WORKER_SNAPSHOT_MS);
      pending.set(id, done);
      if (!worker.isConnected()) done(undefined);
      else worker.send({ pyvet: 'snapshot?', id } satisfies Message);
    });
  }

  /**
   * The merge of every worker (in id order, so that series keep their order between scrapes)
   * and the retired. A worker that died but whose exit is not handled yet counts with its last
   * snapshot.
   */
  async collect(): Promise<MetricsSnapshot> {
    const live = Object.values(cluster.workers ?? {})
      .filter((w): w is Worker => w !== undefined && !w.isDead() && !this.gone.has(w.id))
      .sort((a, b) => a.id - b.id);
    await Promise.all(live.map((w) => this.snapshotOf(w)));
    const ids = [...live.map((w) => w.id), ...[...this.last.keys()].filter((id) => !live.some((w) => w.id === id))];
    const parts: { worker: string; snapshot: MetricsSnapshot }[] = [];
    for (const id of ids) {
      const s = this.last.get(id);
      if (s) parts.push({ worker: String(id), snapshot: s });
    }
    parts.push({ worker: 'retired', snapshot: this.retired });
    parts.push({ worker: 'primary', snapshot: { requests: [], latency: [], families: [residentMemory()] } });
    return mergeSnapshots(parts);
  }
}
