// /healthz (the catalog answers; status only, open to all) and /metrics (Prometheus text
// exposition, read like the index).
import cluster from 'node:cluster';
import type { FileState } from '../../catalog/types.js';
import { PyvetError } from '../../errors.js';
import { readAccess } from '../auth.js';
import type { ServerPlugin } from '../context.js';
import { type Family, renderSnapshot, residentMemory, workerMetrics } from '../metrics.js';

const STATES: FileState[] = ['quarantined', 'approved', 'rejected'];

export const healthRoutes: ServerPlugin = (app, { repo, index, blobs, metrics }) => {
  app.get('/healthz', async (request) => {
    try {
      // The catalog must answer, but its serial is not said: it moves with uploads into quarantine.
      await repo.catalog.files.serial();
      return { status: 'ok' };
    } catch (err) {
      request.log.error({ err }, 'health check failed');
      throw new PyvetError('CATALOG_UNAVAILABLE', 'unavailable', 'the catalog does not answer');
    }
  });

  // One GROUP BY per catalog change, not one per scrape.
  let counted: { serial: number; counts: [Record<string, string>, number][] } | undefined;
  const filesByState = async (): Promise<[Record<string, string>, number][]> => {
    const serial = await repo.catalog.files.serial();
    if (counted?.serial !== serial) {
      const byState = await repo.catalog.files.countByState();
      counted = { serial, counts: STATES.map((state) => [{ state }, byState[state]]) };
    }
    return counted.counts;
  };

  const families = async (): Promise<Family[]> => {
    const pages = index.stats;
    const files = blobs.stats;
    return [
      { name: 'pyvet_files', help: 'Files in the catalog, by state.', type: 'gauge', merge: 'shared', values: await filesByState() },
      {
        name: 'pyvet_cache_hits_total',
        help: 'In-memory cache hits (pages: rendered index pages and file lookups; blobs: file bytes), summed over the workers.',
        type: 'counter',
        values: [
          [{ cache: 'pages' }, pages.hits],
          [{ cache: 'blobs' }, files.hits],
        ],
      },
      {
        name: 'pyvet_cache_misses_total',
        help: 'In-memory cache misses, summed over the workers.',
        type: 'counter',
        values: [
          [{ cache: 'pages' }, pages.misses],
          [{ cache: 'blobs' }, files.misses],
        ],
      },
      {
        name: 'pyvet_cache_bytes',
        help: 'Bytes held by each in-memory cache; with --workers, one series per worker process (label worker: its cluster id).',
        type: 'gauge',
        merge: 'worker',
        values: [
          [{ cache: 'pages' }, pages.bytes],
          [{ cache: 'blobs' }, files.bytes],
        ],
      },
      residentMemory(),
    ];
  };
  const local = async () => metrics.snapshot(await families());
  // In a `serve --workers` worker, a scrape answers for all of them (metrics.ts says how).
  const workers = cluster.isWorker ? workerMetrics(local) : undefined;
  if (workers) app.addHook('onClose', async () => workers.stop());

  // File counts by state say what waits for review: /metrics is read like the index (a reader
  // token when anonymous reading is off; Prometheus sends it as Basic auth), /healthz stays open.
  app.get('/metrics', { onRequest: readAccess(repo) }, async (_request, reply) => {
    const text = renderSnapshot(workers ? await workers.scrape() : await local());
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
};
