import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root, whether tests run compiled (dist/test/helpers) or from source (test/helpers). */
export const ROOT = resolve(here, here.includes(`${sep}dist${sep}`) ? '../../..' : '../..');

export function fixture(...parts: string[]): string {
  return join(ROOT, 'test', 'fixtures', ...parts);
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'pyvet-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
