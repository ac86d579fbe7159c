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
 * Per-kind tests over one vector file: `runKind(kind, check)` adds a test that runs `check` on
 * every case of that kind and reports all failures at once; `passed()` counts passing cases.
 */
export function kindRunner<C extends { kind: string }>(cases: C[]): { runKind(kind: string, check: (c: C) => void): void; passed(): number } {
  let passed = 0;
  return {
    runKind(kind, check) {
      it(`every '${kind}' case`, () => {
        const mine = cases.filter((c) => c.kind === kind);
        assert.ok(mine.length > 0, `no ${kind} cases`);
        const failures: string[] = [];
        for (const c of mine) {
          try {
            check(c);
            passed++;
          } catch (err) {
            failures.push(`${JSON.stringify(c).slice(0, 600)}\n  ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          }
        }
        assert.equal(failures.length, 0, `${failures.length}/${mine.length} '${kind}' cases failed:\n${failures.slice(0, 20).join('\n')}`);
      });
    },
    passed: () => passed,
  };
}

/**
 * One test per case kind of a vector file (each case handled by `runCase`), and a last test that
 * reports (as a diagnostic) and asserts how many cases of the file passed.
 */
export function vectorSuite(name: string, cases: VectorCase[], runCase: (c: VectorCase) => void): { passed: () => number } {
  const runner = kindRunner(cases as (VectorCase & { kind: string })[]);
  for (const kind of [...new Set(cases.map((c) => c.kind as string))]) runner.runKind(kind, runCase);
  it('reports the count', (t) => {
    t.diagnostic(`${name}: ${runner.passed()}/${cases.length}`);
    assert.equal(runner.passed(), cases.length);
  });
  return { passed: runner.passed };
}
