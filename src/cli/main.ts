#!/usr/bin/env -S node --single-threaded-gc
// --single-threaded-gc: on a small machine V8's concurrent and parallel GC threads compete with
// the work for the same cores; a mirror of 1 GB of wheels ran 15-20% faster without them
// (docs/architecture.md, "Node flags"). The flag is on this line so that the installed command
// has it; `npm start`, `npm run pyvet` and `serve --workers` pass it too.
import { run } from './program.js';

run(process.argv).then((code) => {
  process.exitCode = code;
});
