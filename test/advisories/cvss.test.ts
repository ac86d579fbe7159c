// CVSS scoring: v3.x base scores and v4.0 scores of known vectors, the Roundup rule, severity
// bands, text severities, and every vector in the bundled PyPA data scoring.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { cvss3BaseScore, cvss4Score, roundup, scoreSeverity, severityOf } from '../../src/advisories/cvss.js';
import { bundledAdvisoriesPath } from '../../src/advisories/import.js';

// Scores as published by NVD / the FIRST v3.1 calculator.
const V3: [string, number][] = [
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
  ['CVSS:3.0/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
  ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10.0],
  ['CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H', 5.5],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N', 6.5],
  ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0.0],
  // Temporal metrics do not change the base score.
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C', 9.8],
];

// v4.0 scores of the FIRST calculator (MacroVector lookup plus interpolation).
const V4: [string, number][] = [
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 10],
  ['CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.5],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.2],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N', 8.7],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 5.1],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0],
];

describe('CVSS v3.x', () => {
  for (const [vector, score] of V3) {
    test(`${vector} = ${score}`, () => assert.equal(cvss3BaseScore(vector), score));
  }
  test('Roundup is the spec’s: immune to float noise', () => {
    assert.equal(roundup(4.02), 4.1);
    assert.equal(roundup(4.0), 4.0);
    assert.equal(roundup(4.000001), 4.0);
    assert.equal(roundup(0.1 + 0.2), 0.3); // 0.30000000000000004 is 0.3, not 0.4
  });
  test('malformed vectors score null, never throw', () => {
    for (const v of [
      '',
      'CVSS:3.1',
      'CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', // A missing
      'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
      'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', // duplicate
      'CVSS:3.1/AV:N/AC:L/PR:toString/UI:N/S:U/C:H/I:H/A:H',
      'AV:N/AC:L/Au:N/C:P/I:P/A:P',
    ]) {
      assert.equal(cvss3BaseScore(v), null, v);
    }
  });
});

describe('CVSS v4.0', () => {
  for (const [vector, score] of V4) {
    test(`${vector} = ${score}`, () => assert.equal(cvss4Score(vector), score));
  }
  test('the base score: threat, environmental and supplemental metrics do not lower it (as v3 temporal ones do not)', () => {
    const base = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
    assert.equal(cvss4Score(`${base}/E:U`), 9.3);
    assert.equal(cvss4Score(`${base}/E:U/CR:L/IR:L/AR:L/MAV:P/MVC:N/MVI:N/MVA:N`), 9.3);
    assert.equal(cvss4Score(`${base}/S:N/AU:N/R:A/V:D/RE:L`), 9.3);
    // v3 alike: temporal metrics are ignored.
    assert.equal(scoreSeverity([{ type: 'CVSS_V4', score: `${base}/E:U` }]).score, 9.3);
  });
  test('every score stays within 0–10 for every base vector', () => {
    const values: Record<string, string> = {
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
    const keys = Object.keys(values);
    let count = 0;
    const rec = (i: number, parts: string[]) => {
      if (i === keys.length) {
        const s = cvss4Score(`CVSS:4.0/${parts.join('/')}`);
        assert.ok(s !== null && s >= 0 && s <= 10, `${parts.join('/')} → ${s}`);
        count++;
        return;
      }
      // Every value of the first five metrics, a sample of the rest (keeps it fast).
      const choices = i < 5 ? values[keys[i]!]! : values[keys[i]!]!.slice(0, (i + count) % 2 === 0 ? 3 : 2);
      for (const v of choices) rec(i + 1, [...parts, `${keys[i]}:${v}`]);
    };
    rec(0, []);
    assert.ok(count > 1000);
  });
  test('malformed vectors score null', () => {
    for (const v of [
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', // SA missing
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N', // S only in MSI/MSA
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q',
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:A',
    ]) {
      assert.equal(cvss4Score(v), null, v);
    }
    assert.equal(cvss4Score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Amber'), 9.3);
  });
});

describe('severity', () => {
  test('bands', () => {
    assert.deepEqual(
      [0, 0.1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityOf),
      ['none', 'low', 'low', 'medium', 'medium', 'high', 'high', 'critical', 'critical'],
    );
  });
  test('the highest vector wins; a text severity is only a fallback', () => {
    const s = scoreSeverity(
      [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N' },
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      ],
      'LOW',
    );
    assert.deepEqual(s, {
      score: 9.3,
      severity: 'critical',
      vector: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N',
    });
    assert.deepEqual(scoreSeverity([], 'MODERATE'), { score: null, severity: 'medium', vector: null });
    assert.deepEqual(scoreSeverity([{ type: 'CVSS_V3', score: 'junk' }], null), { score: null, severity: null, vector: null });
  });
  test('every vector in the bundled PyPA data scores', () => {
    const text = gunzipSync(readFileSync(bundledAdvisoriesPath())).toString('utf8');
    let vectors = 0;
    for (const line of text.split('\n')) {
      if (!line) continue;
      for (const s of (JSON.parse(line) as { severity?: { type: string; score: string }[] }).severity ?? []) {
        vectors++;
        assert.notEqual(scoreSeverity([s]).score, null, s.score);
      }
    }
    assert.ok(vectors >= 200, `${vectors} vectors`);
  });
});
