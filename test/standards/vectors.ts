// Where the PEP vector files are read from: the copied fixtures, or PYVET_PEP_VECTORS (a folder
// holding files of the same shape, e.g. a generated check set) when that is set.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { fixture } from '../helpers/paths.js';

export function vectorFile(name: string): string {
  const dir = process.env.PYVET_PEP_VECTORS;
  return dir ? join(dir, name) : fixture('pep-vectors', name);
}

// biome-ignore lint/suspicious/noExplicitAny: vector cases are heterogeneous JSON
export type VectorCase = Record<string, any>;

/** The cases of one vector file. */
export function loadVectors(name: string): VectorCase[] {
  return (JSON.parse(readFileSync(vectorFile(name), 'utf8')) as { cases: VectorCase[] }).cases;
}

/**
 * One test per case kind of a vector file, each reporting every failing case at once, and a last
 * test that reports (as a diagnostic) and asserts how many cases of the file passed.
 */
export function vectorSuite(name: string, cases: VectorCase[], runCase: (c: VectorCase) => void): { passed: () => number } {
  let passed = 0;
  for (const kind of [...new Set(cases.map((c) => c.kind as string))]) {
    it(`every '${kind}' case`, () => {
      const mine = cases.filter((c) => c.kind === kind);
      const failures: string[] = [];
      for (const c of mine) {
        try {
          runCase(c);
          passed++;
        } catch (err) {
          failures.push(`${JSON.stringify(c)}\n  ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      assert.deepEqual(failures.slice(0, 10), [], `${failures.length}/${mine.length} '${kind}' cases failed`);
    });
  }
  it('reports the count', (t) => {
    t.diagnostic(`${name}: ${passed}/${cases.length}`);
    assert.equal(passed, cases.length);
  });
  return { passed: () => passed };
}
