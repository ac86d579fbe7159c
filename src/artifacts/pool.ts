// Archive inspection on worker threads. Inflating every member and hashing it against RECORD is
// CPU work (about 9 s per GB of wheels here): on the main thread it would serialise a mirror's
// parallel downloads and stall the event loop, so an Inspector with workers runs that many
// inspections at once on other cores. Idle workers do not keep the process alive.
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ErrorDetails, type ErrorKind, PyvetError } from '../errors.js';
import type { ArtifactReport, InspectOptions } from './index.js';
import { inspectArtifact } from './inspect.js';

/** What ingest needs: inspect one archive on disk (see inspectArtifact). */
export interface Inspector {
  inspect(path: string, opts: InspectOptions): Promise<ArtifactReport>;
  /** How many inspections run at once to good effect: callers size their batches with it. */
  readonly concurrency: number;
  close(): Promise<void>;
}

export interface WorkerRequest {
  id: number;
  path: string;
  opts: InspectOptions;
}

export interface WorkerError {
  code?: string;
  kind?: ErrorKind;
  message: string;
  details?: ErrorDetails | undefined;
  stack?: string | undefined;
}

export type WorkerReply = { id: number; report: ArtifactReport } | { id: number; error: WorkerError };

interface Task extends WorkerRequest {
  resolve: (report: ArtifactReport) => void;
  reject: (err: Error) => void;
}

/** Inspects on the calling thread: for one-off commands and `workers = 0`. */
export function inlineInspector(): Inspector {
  return { inspect: inspectArtifact, concurrency: 1, close: async () => {} };
}

/** `workers` inspections at once, each on its own thread; 0 means on the calling thread. */
export function createInspector(workers: number = availableParallelism()): Inspector {
  return workers > 0 ? new InspectPool(workers) : inlineInspector();
}

class InspectPool implements Inspector {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly queue: Task[] = [];
  private nextId = 0;
  private closed = false;

  constructor(readonly concurrency: number) {}

  inspect(path: string, opts: InspectOptions): Promise<ArtifactReport> {
    if (this.closed) return Promise.reject(new PyvetError('INSPECTOR_CLOSED', 'internal', 'the inspection pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, path, opts, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? (this.busy.size < this.concurrency ? this.spawn() : undefined);
      if (!worker) return;
      const task = this.queue.shift()!;
      this.busy.set(worker, task);
      worker.ref();
      worker.postMessage({ id: task.id, path: task.path, opts: task.opts } satisfies WorkerRequest);
    }
  }

  private spawn(): Worker {
    const worker = startWorker(workerScript());
    worker.on('message', (reply: WorkerReply) => {
      const task = this.busy.get(worker);
      if (!task || task.id !== reply.id) return;
      this.busy.delete(worker);
      worker.unref();
      this.idle.push(worker);
      if ('report' in reply) {
        // Structured cloning turns a Buffer into a plain Uint8Array.
        const bytes = reply.report.metadataBytes as Uint8Array;
        task.resolve({ ...reply.report, metadataBytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
      } else task.reject(revive(reply.error));
      this.dispatch();
    });
    // A worker that dies takes only its own task with it; the next dispatch starts a new one.
    const lost = (err: Error) => {
      const task = this.busy.get(worker);
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      task?.reject(new PyvetError('INSPECTOR_FAILED', 'internal', `archive inspection failed: ${err.message}`, undefined, { cause: err }));
      if (!this.closed) this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (this.busy.has(worker) || this.idle.includes(worker)) lost(new Error(`worker exited with code ${code}`));
    });
    return worker;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new PyvetError('INSPECTOR_CLOSED', 'internal', 'the inspection pool is closed'));
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    for (const [w, task] of this.busy) {
      this.busy.delete(w);
      task.reject(new PyvetError('INSPECTOR_CLOSED', 'internal', 'the inspection pool is closed'));
    }
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * Workers inherit the process's flags (--cpu-prof, --enable-source-maps …), but some make them
 * fail: --input-type (a `node -e` script) always, per-isolate V8 flags (--max-semi-space-size)
 * at construction. Those are left to the main thread.
 */
// The worker's code in one file (scripts/bundle-vendor.mjs), from dist/src/artifacts/ to
// dist/vendor/; under tsx (src/artifacts/) there is none.
const BUNDLE = new URL('../../vendor/inspect-worker.js', import.meta.url);
const COMPILED = new URL('./inspect-worker.js', import.meta.url);
let script: URL | undefined;

/**
 * The bundled worker when the build made it after the code it was made from (a `tsc` alone
 * leaves an older bundle behind, which must not run), else the compiled module.
 */
export function workerScript(): URL {
  if (script) return script;
  let bundled = false;
  try {
    bundled = statSync(BUNDLE).mtimeMs >= statSync(new URL('./inspect.js', import.meta.url)).mtimeMs;
  } catch {
    bundled = false;
  }
  script = bundled ? BUNDLE : COMPILED;
  return script;
}

function startWorker(url: URL): Worker {
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  try {
    return new Worker(url, { execArgv });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw err;
    return new Worker(url, { execArgv: [] });
  }
}

function revive(e: WorkerError): Error {
  if (e.code && e.kind) return new PyvetError(e.code, e.kind, e.message, e.details);
  const err = new Error(e.message);
  if (e.stack) err.stack = e.stack;
  return err;
}
