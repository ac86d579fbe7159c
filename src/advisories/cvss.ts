// CVSS base scores from vector strings: v3.0/v3.1 by the specification's formulas (with its
// Roundup), v4.0 by the specification's MacroVector lookup and interpolation (the algorithm of
// FIRST's reference calculator). Pure: no I/O. A vector that does not parse scores null, never throws.

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

/** The qualitative rating of a score (CVSS v3.1 and v4.0 share the bands). */
export function severityOf(score: number): Severity {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

function parseVector(vector: string, prefix: RegExp): Map<string, string> | null {
  const parts = vector.trim().split('/');
  if (!prefix.test(parts[0] ?? '')) return null;
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const m = /^([A-Za-z]+):([A-Za-z]+)$/.exec(part);
    if (!m || metrics.has(m[1]!)) return null;
    metrics.set(m[1]!, m[2]!);
  }
  return metrics;
}

// --- CVSS v3.x ---------------------------------------------------------------------------

const V3 = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;
const V3_PR: Record<string, { U: number; C: number }> = {
  N: { U: 0.85, C: 0.85 },
  L: { U: 0.62, C: 0.68 },
  H: { U: 0.27, C: 0.5 },
};

/** CVSS v3.1 Roundup: the smallest number with one decimal >= x, immune to float noise (spec Appendix A). */
export function roundup(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/** Base score of a CVSS:3.0 or CVSS:3.1 vector, or null when it is not a valid v3 base vector. */
export function cvss3BaseScore(vector: string): number | null {
  const m = parseVector(vector, /^CVSS:3\.[01]$/);
  if (!m) return null;
  const get = <T extends Record<string, number>>(key: string, table: T): number | null => {
    const v = m.get(key);
    return v !== undefined && Object.hasOwn(table, v) ? table[v as keyof T]! : null;
  };
  const scope = m.get('S');
  if (scope !== 'U' && scope !== 'C') return null;
  const av = get('AV', V3.AV);
  const ac = get('AC', V3.AC);
  const ui = get('UI', V3.UI);
  const prValue = m.get('PR') ?? '';
  const pr = Object.hasOwn(V3_PR, prValue) ? V3_PR[prValue]![scope] : undefined;
  const c = get('C', V3.CIA);
  const i = get('I', V3.CIA);
  const a = get('A', V3.CIA);
  if (av === null || ac === null || ui === null || pr === undefined || c === null || i === null || a === null) {
    return null;
  }
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  return scope === 'U'
    ? roundup(Math.min(impact + exploitability, 10))
    : roundup(Math.min(1.08 * (impact + exploitability), 10));
}

// --- CVSS v4.0 ---------------------------------------------------------------------------

// MacroVector scores (x10) from the v4.0 specification, in the order of the MacroVector
// digits eq1 eq2 eq3 eq4 eq5 eq6 counted up with eq6 fastest; eq3=2 exists only with eq6=1.
const V4_TABLE = [
  // eq1=0 eq2=0
  '100 99 98 95 95 92 100 96 93 87 91 81 93 90 89 80 81 68',
  '98 95 95 92 90 84 93 92 89 81 81 65 88 80 78 70 69 48',
  '92 82 72 79 69 50 69 55 27',
  // eq1=0 eq2=1
  '99 97 95 92 92 85 95 91 90 83 84 71 92 81 82 71 72 53',
  '95 93 92 85 85 73 92 82 80 72 70 59 84 70 71 52 50 30',
  '86 75 52 71 52 29 63 29 17',
  // eq1=1 eq2=0
  '98 95 94 87 91 81 94 89 86 74 77 64 87 75 74 63 63 49',
  '94 89 88 77 76 67 86 76 74 58 59 50 72 57 57 52 52 25',
  '83 70 54 65 58 26 53 21 13',
  // eq1=1 eq2=1
  '95 90 88 76 76 70 90 77 75 62 61 53 77 66 68 59 52 30',
  '89 78 76 67 62 58 74 59 57 57 47 23 61 52 57 29 24 16',
  '71 59 30 58 26 15 23 13 6',
  // eq1=2 eq2=0
  '93 87 86 72 75 58 86 74 74 61 56 34 70 54 52 40 40 22',
  '85 75 74 55 62 51 72 57 55 41 46 19 53 36 34 19 19 8',
  '64 51 20 47 21 11 24 9 4',
  // eq1=2 eq2=1
  '88 75 73 53 60 50 73 55 59 40 41 20 54 43 45 22 20 11',
  '75 55 58 45 40 21 61 51 48 18 20 9 46 18 17 7 8 2',
  '53 24 14 24 12 5 10 3 1',
];

const V4_SCORES: Map<string, number> = (() => {
  const scores = V4_TABLE.join(' ').split(' ').map(Number);
  const map = new Map<string, number>();
  let n = 0;
  for (let eq1 = 0; eq1 < 3; eq1++)
    for (let eq2 = 0; eq2 < 2; eq2++)
      for (let eq3 = 0; eq3 < 3; eq3++)
        for (let eq4 = 0; eq4 < 3; eq4++)
          for (let eq5 = 0; eq5 < 3; eq5++)
            for (let eq6 = 0; eq6 < 2; eq6++) {
              if (eq3 === 2 && eq6 === 0) continue;
              map.set(`${eq1}${eq2}${eq3}${eq4}${eq5}${eq6}`, scores[n++]! / 10);
            }
  if (n !== scores.length) throw new Error(`CVSS v4 table has ${scores.length} scores, expected ${n}`);
  return map;
})();

// Highest-severity vectors of each MacroVector level, per equivalence set (specification table).
const V4_MAX_COMPOSED = {
  eq1: [['AV:N/PR:N/UI:N'], ['AV:A/PR:N/UI:N', 'AV:N/PR:L/UI:N', 'AV:N/PR:N/UI:P'], ['AV:P/PR:N/UI:N', 'AV:A/PR:L/UI:P']],
  eq2: [['AC:L/AT:N'], ['AC:H/AT:N', 'AC:L/AT:P']],
  // [eq3][eq6]
  eq3eq6: [
    [['VC:H/VI:H/VA:H/CR:H/IR:H/AR:H'], ['VC:H/VI:H/VA:L/CR:M/IR:M/AR:H', 'VC:H/VI:H/VA:H/CR:M/IR:M/AR:M']],
    [
      ['VC:L/VI:H/VA:H/CR:H/IR:H/AR:H', 'VC:H/VI:L/VA:H/CR:H/IR:H/AR:H'],
      [
        'VC:L/VI:H/VA:L/CR:H/IR:M/AR:H',
        'VC:L/VI:H/VA:H/CR:H/IR:M/AR:M',
        'VC:H/VI:L/VA:H/CR:M/IR:H/AR:M',
        'VC:H/VI:L/VA:L/CR:M/IR:H/AR:H',
        'VC:L/VI:L/VA:H/CR:H/IR:H/AR:M',
      ],
    ],
    [[], ['VC:L/VI:L/VA:L/CR:H/IR:H/AR:H']],
  ],
  eq4: [['SC:H/SI:S/SA:S'], ['SC:H/SI:H/SA:H'], ['SC:L/SI:L/SA:L']],
  eq5: [['E:A'], ['E:P'], ['E:U']],
} as const;

// Depth of each MacroVector (in 0.1 severity steps, +1), per equivalence set.
const V4_MAX_SEVERITY = {
  eq1: [1, 4, 5],
  eq2: [1, 2],
  eq3eq6: [
    [7, 6],
    [8, 8],
    [0, 10],
  ],
  eq4: [6, 5, 4],
} as const;

// Severity level of each metric value, in 0.1 steps (0 = most severe).
const V4_LEVELS: Record<string, Record<string, number>> = {
  AV: { N: 0, A: 1, L: 2, P: 3 },
  PR: { N: 0, L: 1, H: 2 },
  UI: { N: 0, P: 1, A: 2 },
  AC: { L: 0, H: 1 },
  AT: { N: 0, P: 1 },
  VC: { H: 0, L: 1, N: 2 },
  VI: { H: 0, L: 1, N: 2 },
  VA: { H: 0, L: 1, N: 2 },
  SC: { H: 1, L: 2, N: 3 },
  SI: { S: 0, H: 1, L: 2, N: 3 },
  SA: { S: 0, H: 1, L: 2, N: 3 },
  CR: { H: 0, M: 1, L: 2 },
  IR: { H: 0, M: 1, L: 2 },
  AR: { H: 0, M: 1, L: 2 },
};

const V4_BASE: Record<string, string> = {
  AV: 'NALP',
  AC: 'LH',
  AT: 'NP',
  PR: 'NLH',
  UI: 'NPA',
  VC: 'HLN',
  VI: 'HLN',
  VA: 'HLN',
  SC: 'HLN',
  SI: 'HLN',
  SA: 'HLN',
};
const V4_OPTIONAL: Record<string, string> = {
  E: 'XAPU',
  CR: 'XHML',
  IR: 'XHML',
  AR: 'XHML',
  MAV: 'XNALP',
  MAC: 'XLH',
  MAT: 'XNP',
  MPR: 'XNLH',
  MUI: 'XNPA',
  MVC: 'XHLN',
  MVI: 'XHLN',
  MVA: 'XHLN',
  MSC: 'XHLN',
  MSI: 'XSHLN',
  MSA: 'XSHLN',
  S: 'XNP',
  AU: 'XNY',
  R: 'XAUI',
  V: 'XDC',
  RE: 'XLMH',
};
const V4_URGENCY = new Set(['X', 'Clear', 'Green', 'Amber', 'Red']);

/**
 * The base score (CVSS-B) of a CVSS:4.0 vector, or null when it is malformed. Threat (E),
 * environmental and supplemental metrics are checked but do not count: max_cvss compares base
 * scores, as for v3 (whose temporal metrics are ignored too), so E:U cannot lower a 9.3 below it.
 */
export function cvss4Score(vector: string): number | null {
  const raw = parseVector(vector, /^CVSS:4\.0$/);
  if (!raw) return null;
  for (const [k, allowed] of Object.entries(V4_BASE)) {
    const v = raw.get(k);
    if (v === undefined || v.length !== 1 || !allowed.includes(v)) return null;
  }
  for (const [k, v] of raw) {
    if (k in V4_BASE) continue;
    if (k === 'U' ? !V4_URGENCY.has(v) : v.length !== 1 || !V4_OPTIONAL[k]?.includes(v)) return null;
  }
  // Base metrics as given; the others as the spec's CVSS-B takes them, whatever the vector says
  // (threat and requirements at their worst case, no modified metric).
  const m = (metric: string): string => {
    if (metric in V4_BASE) return raw.get(metric)!;
    if (metric === 'E') return 'A';
    if (metric === 'CR' || metric === 'IR' || metric === 'AR') return 'H';
    return 'X';
  };
  if (['VC', 'VI', 'VA', 'SC', 'SI', 'SA'].every((k) => m(k) === 'N')) return 0;

  const av = m('AV');
  const pr = m('PR');
  const ui = m('UI');
  const eq1 = av === 'N' && pr === 'N' && ui === 'N' ? 0 : (av === 'N' || pr === 'N' || ui === 'N') && av !== 'P' ? 1 : 2;
  const eq2 = m('AC') === 'L' && m('AT') === 'N' ? 0 : 1;
  const vc = m('VC');
  const vi = m('VI');
  const va = m('VA');
  const eq3 = vc === 'H' && vi === 'H' ? 0 : vc === 'H' || vi === 'H' || va === 'H' ? 1 : 2;
  const eq4 = m('MSI') === 'S' || m('MSA') === 'S' ? 0 : m('SC') === 'H' || m('SI') === 'H' || m('SA') === 'H' ? 1 : 2;
  const e = m('E');
  const eq5 = e === 'A' ? 0 : e === 'P' ? 1 : 2;
  const eq6 = (m('CR') === 'H' && vc === 'H') || (m('IR') === 'H' && vi === 'H') || (m('AR') === 'H' && va === 'H') ? 0 : 1;

  const key = (a: number, b: number, c: number, d: number, f: number, g: number) => `${a}${b}${c}${d}${f}${g}`;
  const value = V4_SCORES.get(key(eq1, eq2, eq3, eq4, eq5, eq6))!;

  // Score of the next lower MacroVector in each equivalence set (undefined when none exists).
  const lowerEq1 = V4_SCORES.get(key(eq1 + 1, eq2, eq3, eq4, eq5, eq6));
  const lowerEq2 = V4_SCORES.get(key(eq1, eq2 + 1, eq3, eq4, eq5, eq6));
  let lowerEq3eq6: number | undefined;
  if (eq3 === 0 && eq6 === 0) {
    // Two ways down (00 → 01 or 10): take the higher.
    const left = V4_SCORES.get(key(eq1, eq2, eq3, eq4, eq5, eq6 + 1));
    const right = V4_SCORES.get(key(eq1, eq2, eq3 + 1, eq4, eq5, eq6));
    lowerEq3eq6 = left !== undefined && right !== undefined ? Math.max(left, right) : (left ?? right);
  } else if (eq3 === 1 && eq6 === 0) {
    lowerEq3eq6 = V4_SCORES.get(key(eq1, eq2, eq3, eq4, eq5, eq6 + 1));
  } else if (eq3 === 2) {
    lowerEq3eq6 = undefined;
  } else {
    lowerEq3eq6 = V4_SCORES.get(key(eq1, eq2, eq3 + 1, eq4, eq5, eq6));
  }
  const lowerEq4 = V4_SCORES.get(key(eq1, eq2, eq3, eq4 + 1, eq5, eq6));
  const lowerEq5 = V4_SCORES.get(key(eq1, eq2, eq3, eq4, eq5 + 1, eq6));

  // Distance of the vector from the first highest-severity vector of its MacroVector that it
  // does not exceed in any metric.
  const level = (metric: string, v: string): number => V4_LEVELS[metric]![v]!;
  let dist: Record<string, number> = {};
  for (const a of V4_MAX_COMPOSED.eq1[eq1])
    for (const b of V4_MAX_COMPOSED.eq2[eq2])
      for (const c of V4_MAX_COMPOSED.eq3eq6[eq3]![eq6]!)
        for (const d of V4_MAX_COMPOSED.eq4[eq4]) {
          const max = new Map(
            `${a}/${b}/${c}/${d}`.split('/').map((p) => p.split(':') as [string, string]),
          );
          const candidate: Record<string, number> = {};
          let fits = true;
          for (const metric of Object.keys(V4_LEVELS)) {
            candidate[metric] = level(metric, m(metric)) - level(metric, max.get(metric)!);
            if (candidate[metric]! < 0) fits = false;
          }
          dist = candidate;
          if (fits) break;
        }
  const d = (k: string) => dist[k]! / 10;
  const distEq1 = d('AV') + d('PR') + d('UI');
  const distEq2 = d('AC') + d('AT');
  const distEq3eq6 = d('VC') + d('VI') + d('VA') + d('CR') + d('IR') + d('AR');
  const distEq4 = d('SC') + d('SI') + d('SA');

  const parts: number[] = [];
  const add = (lower: number | undefined, distance: number, depth: number) => {
    if (lower === undefined) return;
    parts.push((value - lower) * (distance / (depth * 0.1)));
  };
  add(lowerEq1, distEq1, V4_MAX_SEVERITY.eq1[eq1]!);
  add(lowerEq2, distEq2, V4_MAX_SEVERITY.eq2[eq2]!);
  add(lowerEq3eq6, distEq3eq6, V4_MAX_SEVERITY.eq3eq6[eq3]![eq6]!);
  add(lowerEq4, distEq4, V4_MAX_SEVERITY.eq4[eq4]!);
  // EQ5 has no depth: it only counts towards the mean.
  if (lowerEq5 !== undefined) parts.push(0);
  const mean = parts.length === 0 ? 0 : parts.reduce((s, x) => s + x, 0) / parts.length;
  const score = Math.min(10, Math.max(0, value - mean));
  return Math.round((score + 1e-6) * 10) / 10;
}

export interface ScoredSeverity {
  /** The highest computed score, or null when no vector could be scored. */
  score: number | null;
  /** From the score, else from a text severity (GHSA's database_specific.severity), else null. */
  severity: Severity | null;
  /** The vector the score came from. */
  vector: string | null;
}

const TEXT_SEVERITY: Record<string, Severity> = {
  LOW: 'low',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  HIGH: 'high',
  CRITICAL: 'critical',
};

/** Scores an OSV record's severity entries; the text severity is a fallback when no vector scores. */
export function scoreSeverity(entries: { type: string; score: string }[], textSeverity?: string | null): ScoredSeverity {
  let best: ScoredSeverity = { score: null, severity: null, vector: null };
  for (const { type, score: vector } of entries) {
    const s = type === 'CVSS_V4' ? cvss4Score(vector) : type === 'CVSS_V3' ? cvss3BaseScore(vector) : null;
    if (s !== null && (best.score === null || s > best.score)) best = { score: s, severity: severityOf(s), vector };
  }
  if (best.score === null && textSeverity) {
    const sev = TEXT_SEVERITY[textSeverity.trim().toUpperCase()];
    if (sev) best = { score: null, severity: sev, vector: null };
  }
  return best;
}
