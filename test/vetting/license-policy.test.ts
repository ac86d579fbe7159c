// The licence gate against the spellings real wheels use (/opt/pypi/files): deprecated SPDX ids,
// free text, classifier names, and a License field its classifiers contradict must not slip past
// a deny list; and policy validation refuses licence and deny entries that would match nothing
// or more than they say. Through a real repository (ingest → vetting) and the real CLI.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PyvetError } from '../../src/errors.js';
import { ingestFile } from '../../src/repository/ingest.js';
import { setPolicy } from '../../src/vetting/index.js';
import { checkLicense } from '../../src/vetting/license-policy.js';
import { parsePolicy } from '../../src/vetting/policy.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

const admin = { name: 'cli:alice', role: 'admin' as const };
const DENY = ['GPL-3.0-only', 'GPL-3.0-or-later', 'LGPL-3.0-or-later', 'LGPL-2.1-only'];

describe('the licence deny list against real spellings', () => {
  let t: TestRepo;
  const tmp = tempDir('pyvet-lic-');
  let n = 0;
  const ingest = async (lines: string[]) => {
    // License-Expression is core metadata 2.4.
    const name = `lic${++n}`;
    const metadata = ['Metadata-Version: 2.4', `Name: ${name}`, 'Version: 1.0', ...lines, '', ''].join('\n');
    const w = buildWheel({ name, version: '1.0', metadata });
    const r = await ingestFile(t.repo, writeArchive(tmp.path, w.filename, w.bytes), { actor: admin, origin: 'local' });
    return { license: r.file.license, verdict: r.decision?.verdict, reasons: r.decision?.reasons ?? [] };
  };

  before(async () => {
    t = await makeRepo();
    const policy = join(tmp.path, 'policy.yaml');
    writeFileSync(policy, `auto_approve: true\ntyposquat: {enabled: false}\nlicenses:\n  deny: [${DENY.join(', ')}]\n`);
    await setPolicy(t.repo, policy, admin);
  });
  after(async () => {
    await t?.cleanup();
    tmp.cleanup();
  });

  const held: [string[], string | null, RegExp][] = [
    [['License: GPL-3.0'], 'GPL-3.0-only', /licence GPL-3\.0-only is in the deny list/],
    [['License: GPL v3'], 'GPL-3.0-only', /licence GPL-3\.0-only is in the deny list/],
    [['License: LGPL-2.1'], 'LGPL-2.1-only', /licence LGPL-2\.1-only is in the deny list/],
    [['License-Expression: LGPL-2.1'], 'LGPL-2.1-only', /licence LGPL-2\.1-only is in the deny list/],
    [['License: GNU Lesser General Public License v3 or later (LGPLv3+)'], 'LGPL-3.0-or-later', /LGPL-3\.0-or-later is in the deny list/],
    [
      ['License: GNU General Public License (GPL)'],
      'GNU General Public License (GPL)',
      /licence 'GNU General Public License \(GPL\)' does not say which of .* it is, and GPL-3\.0-only is in the deny list/,
    ],
    [
      ['License: MIT', 'Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)'],
      'License field says MIT; classifiers say GPL-3.0-only',
      /the License field says MIT but the licence classifiers say GPL-3\.0-only \(licence GPL-3\.0-only is in the deny list\)/,
    ],
    [
      ['License: Copyleft, see COPYING'],
      'Copyleft, see COPYING',
      /licence 'Copyleft, see COPYING' is not an SPDX expression pyvet can check against the deny list/,
    ],
    // One word that merely looks like an SPDX id is not one.
    [['License: Apache'], 'Apache', /licence 'Apache' is not an SPDX expression pyvet can check/],
  ];
  for (const [lines, license, reason] of held) {
    test(`${lines.join(' + ')} is held`, async () => {
      const r = await ingest(lines);
      assert.equal(r.license, license);
      assert.equal(r.verdict, 'hold', r.reasons.join('; '));
      assert.ok(r.reasons.some((x) => x.startsWith('licenses: ') && reason.test(x)), r.reasons.join('; '));
    });
  }

  const passed: [string[], string | null][] = [
    [['License: MIT'], 'MIT'],
    // The BSD family has no member in the deny list, whichever it is.
    [['License: BSD', 'Classifier: License :: OSI Approved :: BSD License'], 'BSD'],
    [['Classifier: License :: OSI Approved :: BSD License'], 'BSD License'],
    [['License: MIT', 'Classifier: License :: OSI Approved :: MIT License'], 'MIT'],
    // A conflict neither side of which is denied.
    [['License: MIT', 'Classifier: License :: OSI Approved :: Apache Software License'], 'License field says MIT; classifiers say Apache-2.0'],
  ];
  for (const [lines, license] of passed) {
    test(`${lines.join(' + ')} passes`, async () => {
      const r = await ingest(lines);
      assert.equal(r.license, license);
      assert.equal(r.verdict, 'approve', r.reasons.join('; '));
    });
  }
});

describe('checkLicense', () => {
  test('files stored before a spelling was known are judged by what it means', () => {
    for (const stored of ['GPL-3.0', 'GPL v3', 'GPL-3.0+', 'LGPL-2.1', 'gpl-3.0 AND mit', 'GNU General Public License (GPL)']) {
      assert.equal(checkLicense(stored, [], DENY).ok, false, stored);
    }
  });
  test('deprecated ids in the lists mean their replacement', () => {
    assert.equal(checkLicense('GPL-3.0-only', [], ['GPL-3.0']).ok, false);
    assert.equal(checkLicense('GPL-3.0-only', ['GPL-3.0'], []).ok, true);
    assert.equal(checkLicense('GPL-2.0-only WITH Classpath-exception-2.0', ['GPL-2.0-with-classpath-exception'], []).ok, true);
  });
  test('an allow list still holds what it cannot read, and a family only if every member is allowed', () => {
    assert.equal(checkLicense('Some proprietary text', ['MIT'], []).ok, false);
    assert.equal(checkLicense('BSD License', ['MIT', 'BSD-3-Clause'], []).ok, false);
    assert.equal(checkLicense('BSD License', ['0BSD', 'BSD-1-Clause', 'BSD-2-Clause', 'BSD-3-Clause', 'BSD-4-Clause'], []).ok, true);
  });
  test('a conflict passes only when both sides would', () => {
    assert.equal(checkLicense('License field says MIT; classifiers say Apache-2.0', ['MIT', 'Apache-2.0'], []).ok, true);
    const v = checkLicense('License field says MIT; classifiers say Apache-2.0', ['MIT'], []);
    assert.equal(v.ok, false);
    assert.match(v.reason!, /License field says MIT but the licence classifiers say Apache-2\.0/);
  });
  test('no lists: nothing is held', () => {
    assert.equal(checkLicense('GPL v3', [], []).ok, true);
    assert.equal(checkLicense('License field says MIT; classifiers say GPL-3.0-only', [], []).ok, true);
  });
});

describe('policy validation of licence and deny entries', () => {
  const refuse = (yaml: string, message: RegExp) => {
    assert.throws(
      () => parsePolicy(yaml, 'yaml', 'p.yaml'),
      (err: unknown) => err instanceof PyvetError && err.code === 'POLICY_INVALID' && message.test(err.message),
    );
  };
  test('a misspelt licence id is refused, named, with its position', () => {
    refuse('licenses:\n  allow: [MIT, MITT]\n', /^p\.yaml:2:16: licenses\.allow\.1: 'MITT' is not an SPDX licence id/);
    refuse('licenses:\n  deny: [GPL3]\n', /licenses\.deny\.0: 'GPL3' is not an SPDX licence id/);
  });
  test('an expression entry is refused with the rule that replaces it', () => {
    refuse('licenses:\n  allow: ["MIT OR Apache-2.0"]\n', /licenses\.allow\.0: 'MIT OR Apache-2\.0' is an expression: list each SPDX licence id on its own/);
  });
  test('ids, deprecated ids, LicenseRef-… and WITH are accepted, stored current', () => {
    const p = parsePolicy(
      'licenses:\n  allow: [mit, LicenseRef-Acme, "GPL-2.0-only WITH Classpath-exception-2.0"]\n  deny: [GPL-3.0, LGPL-2.1+]\n',
      'yaml',
      'p.yaml',
    );
    assert.deepEqual(p.licenses, {
      allow: ['MIT', 'LicenseRef-Acme', 'GPL-2.0-only WITH Classpath-exception-2.0'],
      deny: ['GPL-3.0-only', 'LGPL-2.1-or-later'],
    });
  });
  test('deny entries with a marker, extras or a URL, or an invalid name, are refused', () => {
    refuse(`deny: ["mpmath>=1.4; python_version < '3'"]\n`, /deny\.0: 'mpmath>=1\.4; python_version < '3'' has a marker/);
    refuse('deny: ["wheel[extra]"]\n', /deny\.0: 'wheel\[extra\]' has extras/);
    refuse('deny: ["foo @ https://example.com/foo.whl"]\n', /deny\.0: 'foo @ https:\/\/example\.com\/foo\.whl' has a URL/);
    refuse('deny: [ok, Py_]\n', /deny\.1: 'Py_': 'Py_' is not a valid project name/);
    assert.deepEqual(parsePolicy('deny: [foo, "bar<2.0", zope.interface]\n', 'yaml', 'p.yaml').deny, ['foo', 'bar<2.0', 'zope.interface']);
  });
  test('pyvet policy check refuses them through the CLI', () => {
    const tmp = tempDir('pyvet-lic-cli-');
    try {
      const file = join(tmp.path, 'policy.yaml');
      writeFileSync(file, 'licenses:\n  allow: [MITT]\n');
      const r = runCli(tmp.path, ['policy', 'check', file]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /POLICY_INVALID.*policy\.yaml:2:11: licenses\.allow\.0: 'MITT' is not an SPDX licence id/);
      writeFileSync(file, 'deny: ["wheel[extra]"]\n');
      const d = runCli(tmp.path, ['policy', 'check', file]);
      assert.equal(d.status, 2, d.stderr);
      assert.match(d.stderr, /deny\.0: 'wheel\[extra\]' has extras/);
    } finally {
      tmp.cleanup();
    }
  });
});
