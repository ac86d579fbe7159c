// The V8 flags pyvet runs with, for every process it is started as: the CLI's shebang line,
// `npm start`, `npm run pyvet`, `serve --workers` and the benchmarks (test/cli/node-flags.test.ts
// keeps them the same). Measured on 2 cores (docs/architecture.md, "Node flags"):
// - --single-threaded: no V8 background threads at all. Its GC part (--single-threaded-gc) saved
//   7-8 CPU-s per GB mirrored that concurrent and parallel GC threads spent competing with the
//   work for the same cores; the rest moves TurboFan from background threads onto the thread
//   that asked, which costs less in all (a mirror's three isolates: 3.3-3.7 CPU-s per GB on
//   compiler threads, about 0.5 more on the callers) and made a 1 GB mirror 15-20% faster;
// - --heap-growing-percent=300: the main thread's heap is small (15 MB) but promotes steadily
//   while a mirror runs, and V8's default growth let it start a major GC every 100-200 ms.
export const NODE_FLAGS = ['--single-threaded', '--heap-growing-percent=300'] as const;

/**
 * For a server process (`npm start`, `serve --workers`): background compilation kept, which
 * measured slightly faster under load (within noise, but in every pair of runs), and a small
 * young generation, which keeps its memory flat.
 */
export const SERVER_NODE_FLAGS = ['--single-threaded-gc', '--heap-growing-percent=300', '--max-semi-space-size=4'] as const;

/** `flags` that `execArgv` does not already set (by name), to add to it. */
export function missingFlags(execArgv: readonly string[], flags: readonly string[]): string[] {
  const name = (f: string) => f.split('=')[0];
  return flags.filter((f) => !execArgv.some((a) => name(a) === name(f)));
}

/**
 * A server worker's flags (`serve --workers`): the CLI's own defaults, which the shebang line
 * gave the primary, give way to the server's; whatever else the operator chose is kept.
 */
export function serverExecArgv(execArgv: readonly string[]): string[] {
  const cliOnly: readonly string[] = NODE_FLAGS.filter((f) => !(SERVER_NODE_FLAGS as readonly string[]).includes(f));
  const kept = execArgv.filter((a) => !cliOnly.includes(a));
  return [...kept, ...missingFlags(kept, SERVER_NODE_FLAGS)];
}
