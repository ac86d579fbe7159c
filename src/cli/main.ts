#!/usr/bin/env -S node --single-threaded-gc --heap-growing-percent=300
// The flags on the line above are NODE_FLAGS (./node-flags.ts, which says why), so that the
// installed command runs with them.
import { run } from './program.js';

// `pyvet files | head -1`: once the reader is gone, stop quietly, as a Unix filter does (what the
// command changed is already committed; nothing is left half-written by stopping output).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

run(process.argv).then((code) => {
  process.exitCode = code;
});
