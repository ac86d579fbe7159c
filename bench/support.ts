// What the benchmarks share: the --quick flag, seeded inputs, timing helpers and running the
// Python peer. Not a benchmark itself (run-bench.mjs runs only *.bench.js).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../test/helpers/paths.js';

/** `--quick`: each bench shrinks its workloads. */
export const QUICK = process.argv.includes('--quick');

/**
 * mulberry32, a small seeded PRNG: every run (and both peers) sees the same inputs. `int(n)` is
 * in [0, n), `pick` one element; all three draw from the same sequence.
 */
export function seeded(seed: number): { random: () => number; int: (n: number) => number; pick: <T>(xs: readonly T[]) => T } {
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(random() * n);
  return { random, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] as T };
}

/** CPU seconds (user + system, all threads, so V8's GC and compiler count too) since `start`. */
export function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

export function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

/** A peer script in bench/python, from the sources or from dist/bench. */
export function peerScript(name: string): string {
  return join(ROOT, 'bench', 'python', name);
}

/**
 * Runs `python3 args…`, whose answer is one JSON line (the last of its stdout). When it fails,
 * prints `failed: <last line of its stderr>` and returns undefined: the bench then prints only
 * its own figures.
 */
export function runPythonPeer<T>(args: string[], options: { failed: string; input?: string; timeout?: number }): T | undefined {
  const r = spawnSync('python3', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, input: options.input, timeout: options.timeout });
  if (r.status !== 0) {
    console.log(`${options.failed}: ${(r.stderr || r.error?.message || '').trim().split('\n').at(-1)}`);
    return undefined;
  }
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}
