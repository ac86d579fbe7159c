// `release diff` on the real published toolkit files (test/fixtures/pyaitoolkit): consecutive
// releases of each series, checked against an independent Python reading of the same files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { diffPinSets, diffReleases, pinSetFromRequirements } from '../../src/releases/diff.js';
import { fixture, ROOT } from '../helpers/paths.js';

const DIR = fixture('pyaitoolkit');

/** Consecutive files of each series (…postN ordered by N), plus the hand-picked series joins. */
function consecutivePairs(): [string, string][] {
  const files = readdirSync(DIR);
  const pairs: [string, string][] = [];
  for (const series of ['pyaitoolkit_cp311_1.1.6.post', 'pyaitoolkit_cp312_1.1.6.post', 'pyaitoolkit_1.13.0.post']) {
    const ordered = files
      .filter((f) => f.startsWith(series))
      .map((f) => ({ f, n: Number(f.slice(series.length, -'.txt'.length)) }))
      .sort((a, b) => a.n - b.n)
      .map((x) => x.f);
    for (let i = 1; i < ordered.length; i++) pairs.push([ordered[i - 1]!, ordered[i]!]);
  }
  pairs.push(['pyaitoolkit_1.13.0.txt', 'pyaitoolkit_1.13.0.post0.txt'], ['pyaitoolkit_1.13.0.post15.txt', 'pyaitoolkit_1.14.0.txt'], ['pyaitoolkit_1.14.0.txt', 'pyaitoolkit_1.14.0.post0.txt']);
  return pairs;
}

function python(): string {
  // packaging is needed by the oracle; the build interpreter has it.
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import packaging'], { stdio: 'ignore' }).status === 0) return py;
  }
  return 'python3';
}

describe('release diff on real toolkit files', () => {
  const pairs = consecutivePairs();

  it('agrees with an independent reading on every consecutive pair', () => {
    assert.ok(pairs.length >= 40, `${pairs.length} pairs`);
    const oracle = spawnSync(python(), [join(ROOT, 'test', 'releases', 'toolkit_diff.py')], {
      input: JSON.stringify(pairs.map(([a, b]) => [join(DIR, a), join(DIR, b)])),
      encoding: 'utf8',
    });
    assert.equal(oracle.status, 0, oracle.stderr);
    const expected = JSON.parse(oracle.stdout) as Record<string, number>[];
    pairs.forEach(([a, b], i) => {
      const d = diffPinSets(
        pinSetFromRequirements(readFileSync(join(DIR, a), 'utf8'), a),
        pinSetFromRequirements(readFileSync(join(DIR, b), 'utf8'), b),
      );
      const got = {
        added: d.added.length,
        removed: d.removed.length,
        upgraded: d.upgraded.length,
        downgraded: d.downgraded.length,
        rehashed: d.rehashed.length,
        unchanged: d.unchanged,
      };
      assert.deepEqual(got, expected[i], `${a} → ${b}`);
    });
  });

  it('gives the counts read by hand for cp311 1.1.6.post19 → post20', async () => {
    // By hand (diff of the sorted name==version lines): narwhals and python_discovery are new; 34
    // versions went up (alembic 1.16.5.post0 → 1.18.1 … zipp 3.21.0.post0 → 3.23.0); no same-version
    // line changed its hash.
    const [d] = await diffReleases(null, join(DIR, 'pyaitoolkit_cp311_1.1.6.post19.txt'), join(DIR, 'pyaitoolkit_cp311_1.1.6.post20.txt'));
    assert.deepEqual(d!.added.map((x) => x.project), ['narwhals', 'python-discovery']);
    assert.deepEqual(d!.upgraded.find((x) => x.project === 'alembic'), { project: 'alembic', from: '1.16.5.post0', to: '1.18.1' });
    assert.deepEqual(
      { added: d!.added.length, removed: d!.removed.length, upgraded: d!.upgraded.length, downgraded: d!.downgraded.length, rehashed: d!.rehashed.length },
      HAND,
    );
  });
});

const HAND = { added: 2, removed: 0, upgraded: 34, downgraded: 0, rehashed: 0 };
