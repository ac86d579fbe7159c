// The licence derived from core metadata: an ambiguous classifier stays as the package declared it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deriveLicense } from '../../src/artifacts/license.js';
import { parseCoreMetadata } from '../../src/standards/metadata.js';

function meta(lines: string[]) {
  return parseCoreMetadata(['Metadata-Version: 2.1', 'Name: lic', 'Version: 1.0', ...lines, ''].join('\n'));
}

describe('deriveLicense', () => {
  test('"BSD License" (0BSD, 2-, 3- or 4-clause) is never stated as BSD-3-Clause', () => {
    assert.equal(deriveLicense(meta(['Classifier: License :: OSI Approved :: BSD License'])), 'BSD License');
    // With a BSD text, the text decides.
    assert.equal(deriveLicense(meta(['License: BSD 3-Clause', 'Classifier: License :: OSI Approved :: BSD License'])), 'BSD-3-Clause');
  });
  test('unambiguous classifiers map to SPDX, several as OR', () => {
    assert.equal(deriveLicense(meta(['Classifier: License :: OSI Approved :: MIT License'])), 'MIT');
    assert.equal(
      deriveLicense(meta(['Classifier: License :: OSI Approved :: MIT License', 'Classifier: License :: OSI Approved :: Apache Software License'])),
      'MIT OR Apache-2.0',
    );
  });
  test('deprecated SPDX ids become their current equivalents', () => {
    assert.equal(deriveLicense(meta(['License: GPL-3.0'])), 'GPL-3.0-only');
    assert.equal(deriveLicense(meta(['License: GPL-2.0+ OR mit'])), 'GPL-2.0-or-later OR MIT');
    assert.equal(deriveLicense(meta(['License: LGPL-2.1'])), 'LGPL-2.1-only');
    assert.equal(deriveLicense(meta(['License: GPL-2.0-with-classpath-exception'])), 'GPL-2.0-only WITH Classpath-exception-2.0');
    const v24 = parseCoreMetadata('Metadata-Version: 2.4\nName: lic\nVersion: 1.0\nLicense-Expression: LGPL-2.1\n\n');
    assert.equal(deriveLicense(v24), 'LGPL-2.1-only');
  });
  test('free text and classifier names written as the License', () => {
    assert.equal(deriveLicense(meta(['License: GPL v3'])), 'GPL-3.0-only');
    assert.equal(deriveLicense(meta(['License: GNU Lesser General Public License v3 or later (LGPLv3+)'])), 'LGPL-3.0-or-later');
    // No version: kept as written (the gate treats it as "any GPL").
    assert.equal(deriveLicense(meta(['License: GNU General Public License (GPL)'])), 'GNU General Public License (GPL)');
  });
  test('a License field its classifiers contradict is recorded as a conflict, both named', () => {
    assert.equal(
      deriveLicense(meta(['License: MIT', 'Classifier: License :: OSI Approved :: GNU General Public License v3 (GPLv3)'])),
      'License field says MIT; classifiers say GPL-3.0-only',
    );
    // The same licence, versions aside (GPLv3 and GPLv3+), or one of several classifiers: no conflict.
    assert.equal(deriveLicense(meta(['License: GPLv3', 'Classifier: License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)'])), 'GPL-3.0-only');
    assert.equal(
      deriveLicense(meta(['License: MIT', 'Classifier: License :: OSI Approved :: MIT License', 'Classifier: License :: OSI Approved :: Apache Software License'])),
      'MIT',
    );
  });
  test('no licence at all is null', () => {
    assert.equal(deriveLicense(meta([])), null);
  });
});
