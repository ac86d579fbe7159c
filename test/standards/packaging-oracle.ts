// Python's pypa/packaging as a test oracle, only where it is the release the vectors were made
// with: an older packaging (a distribution's python3-packaging) reads metadata differently.
import { spawnSync } from 'node:child_process';
import { cleanPipEnv } from '../helpers/python.js';

const PROBE = `import packaging, sys
major, minor = (int(x) for x in packaging.__version__.split(".")[:2])
sys.exit(0 if (major, minor) >= (26, 2) and major == 26 else 3)`;

let available: boolean | undefined;

/** True when python3 imports packaging 26.x (26.2 or later). */
export function packagingOracleAvailable(): boolean {
  available ??= spawnSync('python3', ['-c', PROBE], { env: cleanPipEnv() }).status === 0;
  return available;
}

export const NO_ORACLE = 'python3 has no packaging 26.2+: the comparison with packaging is skipped';

/** Runs a Python script with JSON on stdin and returns its JSON stdout. */
export function runOracle<T>(script: string, input: unknown): T {
  const r = spawnSync('python3', ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    env: cleanPipEnv(),
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`packaging oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
