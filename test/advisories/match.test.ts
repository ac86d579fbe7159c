// OSV matching: properties over generated ranges, a table of tricky real PyPA advisories with
// answers derived from the OSV evaluation rules, and a cross-check of the whole bundled data set
// against an independent Python implementation on pypa/packaging.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { bundledAdvisoriesPath } from '../../src/advisories/import.js';
import { AdvisoryIndex, compileRange, rangeAffects } from '../../src/advisories/match.js';
import { advisoryFromOsv } from '../../src/advisories/osv.js';
import type { Advisory, RangeEvent } from '../../src/advisories/types.js';
import { canonicalizeName } from '../../src/standards/names.js';
import { Version } from '../../src/standards/version.js';
import { fixture, tempDir } from '../helpers/paths.js';

function loadJsonl(text: string): Advisory[] {
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => advisoryFromOsv(JSON.parse(l)))
    .filter((a): a is Advisory => typeof a !== 'string');
}

const TRICKY = fixture('osv', 'tricky.jsonl');
const tricky = loadJsonl(readFileSync(TRICKY, 'utf8'));
const trickyIndex = new AdvisoryIndex(tricky);

// [package as a user writes it, version, expected advisory ids] — derived by hand from the OSV rules.
const TABLE: [string, string, string[]][] = [
  // Three introduced/fixed pairs listed newest first (unsorted).
  ['ansible-core', '2.16.2', ['PYSEC-2024-36']],
  ['ansible-core', '2.16.3', []], // fixed is exclusive
  ['ansible-core', '2.15.9', []],
  ['ansible-core', '2.14.3', ['PYSEC-2024-36']],
  ['ansible-core', '2.14.4', []],
  ['ansible-core', '2.15.0rc1', []], // a pre-release between two intervals
  // Four-part versions: 2.3.3 == 2.3.3.0 by PEP 440.
  ['Ansible', '2.3.2.0', ['PYSEC-2017-4']],
  ['ansible', '2.3.3', []],
  ['ansible', '2.4.0', ['PYSEC-2017-4']],
  ['ansible', '2.4.1', []],
  // A release candidate as the fixed bound: the rc is fixed, a beta before it is not.
  ['ansible', '2.8.16rc1', []],
  ['ansible', '2.8.16b1', ['PYSEC-2020-209']],
  ['ansible', '2.8.15', ['PYSEC-2020-209']],
  ['ansible', '2.9.14rc1', []],
  ['ansible', '2.9.13', ['PYSEC-2020-209']],
  ['ansible', '2.7.0', []],
  ['ansible', '1.0', []], // PYSEC-2021-125 would match, but it is withdrawn
  ['apache-airflow', '1.10.3b1', []],
  ['apache-airflow', '1.10.3a1', ['PYSEC-2019-214']],
  ['apache-airflow', '1.10.3.dev0', ['PYSEC-2019-214']], // dev releases sort before pre-releases
  ['apache-airflow', '1.10.3', []],
  ['duckdb', '0.9.3.dev5', ['PYSEC-2024-25']],
  ['duckdb', '0.9.3.dev6', []],
  ['duckdb', '0.9.3', []],
  // A fixed bound that is not PEP 440 is skipped: the range is open-ended.
  ['binderhub', '1.0', ['PYSEC-2021-371']],
  ['steam', '1.0', ['PYSEC-2019-125']],
  // versions-only: PEP 440 equality, not text equality.
  ['gratient', '0.5', ['PYSEC-2024-1']],
  ['gratient', '0.5.0', ['PYSEC-2024-1']],
  ['gratient', '0.5.post1', []],
  ['gratient', '0.6', []],
  // The record says "jw.util"; any spelling of the name matches after normalization.
  ['JW_Util', '2.2', ['PYSEC-2020-341']],
  ['jw-util', '2.3', []],
  ['jw-util', '-class.-jw.util.version.Version-', ['PYSEC-2020-341']], // unparseable entry: text equality
  // last_affected is inclusive.
  ['py', '1.11.0', ['PYSEC-2022-42969']],
  ['py', '1.11.0.post1', []],
  ['py', '1.11.1a1', []],
  ['py', '0.8.0a2', ['PYSEC-2022-42969']],
  ['searchor', '2.4.1', ['PYSEC-2023-262']],
  ['searchor', '2.4.2rc1', ['PYSEC-2023-262']], // pre-releases count
  ['searchor', '2.4.2', []],
];

function ids(list: readonly Advisory[]): string[] {
  return list.map((a) => a.id).sort();
}

function python(): boolean {
  return spawnSync('python3', ['-c', 'import packaging.version'], { stdio: 'ignore' }).status === 0;
}

function pythonMatch(advisories: string, queries: [string, string][]): string[][] {
  const r = spawnSync('python3', [fixture('osv', 'osv_match.py')], {
    input: JSON.stringify({ advisories, queries }),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as string[][];
}

describe('tricky real advisories', () => {
  test('the fixture parses: 12 records, all for PyPI', () => {
    assert.equal(tricky.length, 12);
    assert.ok(tricky.find((a) => a.id === 'PYSEC-2020-341')!.affected.some((p) => p.package === 'jw-util'));
  });

  for (const [name, version, expected] of TABLE) {
    test(`${name} ${version} → ${expected.join(', ') || 'not affected'}`, () => {
      assert.deepEqual(ids(trickyIndex.match(canonicalizeName(name), version)), expected);
    });
  }

  test('the table agrees with the independent Python implementation', { skip: !python() && 'python3 with packaging is missing' }, () => {
    const queries = TABLE.map(([n, v]) => [canonicalizeName(n), v] as [string, string]);
    const answers = pythonMatch(TRICKY, queries);
    TABLE.forEach(([n, v, expected], i) => {
      assert.deepEqual(answers[i], expected, `${n} ${v}`);
    });
  });
});

describe('the whole bundled PyPA data set', () => {
  test('TypeScript and Python agree on every version each advisory names, and around each bound', { skip: !python() && 'python3 with packaging is missing' }, (t) => {
    const text = gunzipSync(readFileSync(bundledAdvisoriesPath())).toString('utf8');
    const all = loadJsonl(text);
    assert.ok(all.length > 2600, `${all.length} advisories`);
    const index = new AdvisoryIndex(all);
    // Queries: every listed version and every bound, plus a pre-release and a post-release of
    // each bound, for every package: the places where an off-by-one would show.
    const seen = new Set<string>();
    const allQueries: [string, string][] = [];
    const add = (p: string, v: string) => {
      const key = `${p} ${v}`;
      if (!seen.has(key)) {
        seen.add(key);
        allQueries.push([p, v]);
      }
    };
    for (const a of all) {
      for (const p of a.affected) {
        for (const v of p.versions) add(p.package, v);
        for (const r of p.ranges) {
          for (const e of r) {
            const v = Object.values(e)[0] as string;
            if (v === '0') continue;
            add(p.package, v);
            const parsed = Version.tryParse(v);
            if (parsed && parsed.pre === null && parsed.dev === null && parsed.post === null) {
              add(p.package, `${parsed.toString()}rc1`);
              add(p.package, `${parsed.toString()}.post1`);
            }
          }
        }
      }
    }
    // A deterministic sample keeps the Python side to a few seconds.
    const step = Math.max(1, Math.floor(allQueries.length / 15_000));
    const queries = allQueries.filter((_, i) => i % step === 0);
    const dir = tempDir();
    const tmp = join(dir.path, 'bundled.jsonl');
    writeFileSync(tmp, text);
    try {
      const answers = pythonMatch(tmp, queries);
      let mismatches = 0;
      queries.forEach(([p, v], i) => {
        const ours = ids(index.match(p, v));
        if (JSON.stringify(ours) !== JSON.stringify(answers[i])) {
          mismatches++;
          if (mismatches <= 10) t.diagnostic(`${p} ${v}: ts ${ours.join(',')} python ${answers[i]!.join(',')}`);
        }
      });
      t.diagnostic(`${queries.length} of ${allQueries.length} queries compared`);
      assert.ok(queries.length > 10_000, `${queries.length} queries`);
      assert.equal(mismatches, 0);
    } finally {
      dir.cleanup();
    }
  });
});

// --- properties ------------------------------------------------------------------------------

const versionArb = fc
  .tuple(
    fc.integer({ min: 0, max: 3 }),
    fc.integer({ min: 0, max: 3 }),
    fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc'), fc.integer({ min: 0, max: 2 })), { nil: undefined }),
    fc.option(fc.integer({ min: 0, max: 1 }), { nil: undefined }),
  )
  .map(([maj, min, pre, post]) => `${maj}.${min}${pre ? `${pre[0]}${pre[1]}` : ''}${post !== undefined ? `.post${post}` : ''}`);

const cmp = (a: string, b: string) => Version.compare(a, b);

/** Disjoint intervals from sorted distinct bounds; each closes with fixed, last_affected or stays open. */
const intervalsArb = fc
  .uniqueArray(versionArb, { minLength: 1, maxLength: 8, comparator: (a, b) => cmp(a, b) === 0 })
  .chain((bounds) => {
    const sorted = [...bounds].sort(cmp);
    return fc.tuple(
      fc.constant(sorted),
      fc.array(fc.constantFrom('fixed', 'last_affected'), { minLength: sorted.length, maxLength: sorted.length }),
      fc.boolean(),
    );
  })
  .map(([sorted, closers, fromZero]) => {
    const intervals: { lo: string | null; hi: string | null; closed: boolean }[] = [];
    const events: RangeEvent[] = [];
    let i = 0;
    if (fromZero) {
      events.push({ introduced: '0' });
      intervals.push({ lo: null, hi: null, closed: false });
    }
    while (i < sorted.length) {
      if (intervals.length > 0 && intervals.at(-1)!.hi === null) {
        // close the open interval
        const kind = closers[i]!;
        events.push({ [kind]: sorted[i]! });
        intervals.at(-1)!.hi = sorted[i]!;
        intervals.at(-1)!.closed = kind === 'last_affected';
      } else {
        events.push({ introduced: sorted[i]! });
        intervals.push({ lo: sorted[i]!, hi: null, closed: false });
      }
      i++;
    }
    return { events, intervals };
  });

function inIntervals(v: string, intervals: { lo: string | null; hi: string | null; closed: boolean }[]): boolean {
  return intervals.some(
    (iv) =>
      (iv.lo === null || cmp(v, iv.lo) >= 0) &&
      (iv.hi === null || (iv.closed ? cmp(v, iv.hi) <= 0 : cmp(v, iv.hi) < 0)),
  );
}

describe('properties', () => {
  test('a version is affected by a range iff it lies in one of its intervals', () => {
    fc.assert(
      fc.property(intervalsArb, fc.array(versionArb, { minLength: 1, maxLength: 20 }), ({ events, intervals }, probes) => {
        const range = compileRange(events);
        for (const v of probes) {
          assert.equal(rangeAffects(range, Version.parse(v)), inIntervals(v, intervals), `${v} in ${JSON.stringify(events)}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the order of events never changes the answer, even for arbitrary event lists', () => {
    const eventArb = fc.oneof(
      versionArb.map((v) => ({ introduced: v })),
      fc.constant({ introduced: '0' }),
      versionArb.map((v) => ({ fixed: v })),
      versionArb.map((v) => ({ last_affected: v })),
      versionArb.map((v) => ({ limit: v })),
    );
    fc.assert(
      fc.property(
        fc.array(eventArb, { minLength: 1, maxLength: 8 }).chain((evs) => fc.tuple(fc.constant(evs), fc.shuffledSubarray(evs, { minLength: evs.length }))),
        fc.array(versionArb, { minLength: 1, maxLength: 10 }),
        ([events, shuffled], probes) => {
          const a = compileRange(events as RangeEvent[]);
          const b = compileRange(shuffled as RangeEvent[]);
          for (const v of probes) assert.equal(rangeAffects(a, Version.parse(v)), rangeAffects(b, Version.parse(v)));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('limit: nothing at or above every limit is affected', () => {
    fc.assert(
      fc.property(intervalsArb, versionArb, versionArb, ({ events }, limit, v) => {
        const range = compileRange([...events, { limit }]);
        if (cmp(v, limit) >= 0) assert.equal(rangeAffects(range, Version.parse(v)), false);
      }),
      { numRuns: 200 },
    );
  });

  test('versions lists match by PEP 440 equality; withdrawn advisories never match', () => {
    fc.assert(
      fc.property(fc.array(versionArb, { minLength: 1, maxLength: 5 }), versionArb, fc.boolean(), (listed, v, withdrawn) => {
        const adv = advisoryFromOsv({
          id: 'TEST-1',
          modified: '2024-01-01T00:00:00Z',
          ...(withdrawn ? { withdrawn: '2024-02-01T00:00:00Z' } : {}),
          affected: [{ package: { ecosystem: 'PyPI', name: 'Demo_Pkg' }, versions: listed }],
        }) as Advisory;
        // The same version spelled differently (1.2 → 1.2.0): equality is PEP 440's, not textual.
        const hit = new AdvisoryIndex([adv]).match('demo-pkg', v.replace(/^(\d+\.\d+)/, '$1.0')).length > 0;
        assert.equal(hit, !withdrawn && listed.some((l) => cmp(l, v) === 0));
      }),
      { numRuns: 200 },
    );
  });
});
