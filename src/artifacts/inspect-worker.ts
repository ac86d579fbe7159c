// The body of an inspection worker thread (see ./pool.ts): inspects one archive per message and
// answers with the report or the error, flattened so that it survives structured cloning.
import { parentPort } from 'node:worker_threads';
import { PyvetError } from '../errors.js';
import type { InspectOptions } from './index.js';
import { inspectArtifact } from './inspect.js';
import type { WorkerError, WorkerReply, WorkerRequest } from './pool.js';

function flatten(err: unknown): WorkerError {
  if (err instanceof PyvetError) return { code: err.code, kind: err.kind, message: err.message, details: err.details };
  const e = err as { message?: unknown; stack?: unknown };
  return { message: String(e?.message ?? err), stack: typeof e?.stack === 'string' ? e.stack : undefined };
}

const port = parentPort;
if (!port) throw new Error('inspect-worker.js runs as a worker thread only');
port.on('message', (req: WorkerRequest) => {
  inspectArtifact(req.path, req.opts as InspectOptions).then(
    (report) => port.postMessage({ id: req.id, report } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ id: req.id, error: flatten(err) } satisfies WorkerReply),
  );
});
