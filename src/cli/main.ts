#!/usr/bin/env -S node --single-threaded-gc --heap-growing-percent=300
// The flags on the line above are NODE_FLAGS (./node-flags.ts, which says why), so that the
// installed command runs with them.
import { run } from './program.js';

run(process.argv).then((code) => {
  process.exitCode = code;
});
