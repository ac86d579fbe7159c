// The V8 flags pyvet runs with, for every process it is started as: the CLI's shebang line,
// `npm start`, `npm run pyvet`, `serve --workers` and the benchmarks (test/cli/node-flags.test.ts
// keeps them the same). Measured on 2 cores (docs/architecture.md, "Node flags"):
// - --single-threaded-gc: V8's concurrent and parallel GC threads competed with the work for the
//   same cores (7-8 CPU-s per GB mirrored);
// - --heap-growing-percent=300: the main thread's heap is small (15 MB) but promotes steadily
//   while a mirror runs, and V8's default growth let it start a major GC every 100-200 ms.
export const NODE_FLAGS = ['--single-threaded-gc', '--heap-growing-percent=300'] as const;

/** For a server process: also a small young generation, which keeps its memory flat. */
export const SERVER_NODE_FLAGS = [...NODE_FLAGS, '--max-semi-space-size=4'] as const;

/** `flags` that `execArgv` does not already set (by name), to add to it. */
export function missingFlags(execArgv: readonly string[], flags: readonly string[]): string[] {
  const name = (f: string) => f.split('=')[0];
  return flags.filter((f) => !execArgv.some((a) => name(a) === name(f)));
}
