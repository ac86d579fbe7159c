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
  test('no licence at all is null', () => {
    assert.equal(deriveLicense(meta([])), null);
  });
});
