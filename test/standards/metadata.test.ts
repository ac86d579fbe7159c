import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalizeLicenseExpression, InvalidLicenseExpression } from '../../src/standards/licenses.js';
import {
  type CoreMetadata,
  InvalidMetadata,
  metadataNameVersion,
  parseCoreMetadata,
  parseRfc822,
} from '../../src/standards/metadata.js';
import { NO_ORACLE, packagingOracleAvailable, runOracle } from './packaging-oracle.js';

// Hand-written documents, one per Metadata-Version shape.
const V1_0 = `Metadata-Version: 1.0
Name: oldpkg
Version: 0.9
Summary: A 2001 package
Home-page: http://example.com/oldpkg
Author: Ann Author
Author-email: ann@example.com
License: BSD
Description: First line of the description.
        Second line, indented by eight spaces.
        
        After a blank line.
Keywords: one, two,three
Platform: UNKNOWN
Platform: zos
`;

const V1_1 = `Metadata-Version: 1.1
Name: midpkg
Version: 1.1
Summary: Classifiers and download URLs
Download-URL: http://example.com/midpkg-1.1.tar.gz
Classifier: Programming Language :: Python
Classifier: License :: OSI Approved :: MIT License
Requires: os
Provides: midpkg
Obsoletes: oldmid
Supported-Platform: RedHat 7.2
`;

const V1_2 = `Metadata-Version: 1.2
Name: pkg12
Version: 1.2.post1
Maintainer: Mo Maintainer
Maintainer-email: mo@example.com
Requires-Dist: requests (>=2.0)
Requires-Dist: pywin32 >1.0; sys_platform == 'win32'
Requires-Python: >=3.6
Requires-External: libxml2 (>=2.6)
Provides-Dist: pkg12
Obsoletes-Dist: oldpkg12 (<1)
Project-URL: Bug Tracker, http://bugs.example.com/pkg12
Project-URL: Documentation,  https://docs.example.com
Description: Header description
       |with the pipe continuation
       |  keeping indentation
`;

const V2_1 = `Metadata-Version: 2.1
Name: Pkg_Twenty.One
Version: 2.1.0rc1
Summary: Markdown body
Description-Content-Type: text/markdown; charset=UTF-8; variant=GFM
Provides-Extra: Socks_Proxy
Provides-Extra: tests
Requires-Dist: pysocks!=1.5.7,>=1.5.6; extra == "socks-proxy"
Requires-Dist: pytest; extra == 'tests'

# Pkg

The body is the description.
`;

const V2_2 = `Metadata-Version: 2.2
Name: dyn
Version: 2.2
Dynamic: Requires-Dist
Dynamic: license
`;

const V2_3 = `Metadata-Version: 2.3
Name: pkg23
Version: 2.3
Provides-Extra: dev
Requires-Dist: black; extra == 'dev'
`;

const V2_4 = `Metadata-Version: 2.4
Name: pkg24
Version: 2.4.0
License-Expression: mit OR (apache-2.0 WITH llvm-exception)
License-File: LICENSE
License-File: licenses/NOTICE.txt
Author-email: Ann <ann@example.com>, Bob <bob@example.com>
Classifier: Operating System :: OS Independent
Requires-Python: >=3.9
`;

function parse(text: string): CoreMetadata {
  const m = parseCoreMetadata(text);
  return m;
}

describe('parseCoreMetadata: one document per Metadata-Version', () => {
  it('1.0: folded Description header, keywords, several Platform values', () => {
    const m = parse(V1_0);
    assert.deepEqual(m.problems, []);
    assert.equal(m.metadataVersion, '1.0');
    assert.deepEqual([m.name, m.version, m.normalizedVersion], ['oldpkg', '0.9', '0.9']);
    assert.equal(m.homePage, 'http://example.com/oldpkg');
    assert.deepEqual([m.author, m.authorEmail, m.license], ['Ann Author', 'ann@example.com', 'BSD']);
    assert.equal(
      m.description,
      'First line of the description.\nSecond line, indented by eight spaces.\n\nAfter a blank line.',
    );
    assert.deepEqual(m.keywords, ['one', 'two', 'three']);
    assert.deepEqual(m.platforms, ['UNKNOWN', 'zos']);
  });

  it('1.1: classifiers, download URL, the deprecated Requires/Provides/Obsoletes', () => {
    const m = parse(V1_1);
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.classifiers, ['Programming Language :: Python', 'License :: OSI Approved :: MIT License']);
    assert.equal(m.downloadUrl, 'http://example.com/midpkg-1.1.tar.gz');
    assert.deepEqual([m.requires, m.provides, m.obsoletes], [['os'], ['midpkg'], ['oldmid']]);
    assert.deepEqual(m.supportedPlatforms, ['RedHat 7.2']);
  });

  it('1.2: Requires-Dist, Requires-Python, Project-URL and the | continuation', () => {
    const m = parse(V1_2);
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.requiresDist, ['requests (>=2.0)', "pywin32 >1.0; sys_platform == 'win32'"]);
    assert.equal(m.requiresPython, '>=3.6');
    assert.deepEqual(m.requiresExternal, ['libxml2 (>=2.6)']);
    assert.deepEqual(m.projectUrls, { 'Bug Tracker': 'http://bugs.example.com/pkg12', Documentation: 'https://docs.example.com' });
    assert.deepEqual([m.maintainer, m.maintainerEmail], ['Mo Maintainer', 'mo@example.com']);
    assert.equal(m.description, 'Header description\nwith the pipe continuation\n  keeping indentation');
    assert.equal(m.normalizedVersion, '1.2.post1');
  });

  it('2.1: the body is the Description and extras are normalised', () => {
    const m = parse(V2_1);
    assert.deepEqual(m.problems, []);
    assert.equal(m.name, 'Pkg_Twenty.One');
    assert.equal(m.normalizedVersion, '2.1.0rc1');
    assert.equal(m.description, '# Pkg\n\nThe body is the description.\n');
    assert.equal(m.descriptionContentType, 'text/markdown; charset=UTF-8; variant=GFM');
    assert.deepEqual(m.providesExtra, ['socks-proxy', 'tests']);
  });

  it('2.2: Dynamic fields are lower-cased', () => {
    const m = parse(V2_2);
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.dynamic, ['requires-dist', 'license']);
  });

  it('2.3: same fields as 2.1/2.2', () => {
    const m = parse(V2_3);
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.providesExtra, ['dev']);
  });

  it('2.4: License-Expression is normalised, License-File paths are kept', () => {
    const m = parse(V2_4);
    assert.deepEqual(m.problems, []);
    assert.equal(m.licenseExpression, 'MIT OR (Apache-2.0 WITH LLVM-exception)');
    assert.deepEqual(m.licenseFiles, ['LICENSE', 'licenses/NOTICE.txt']);
    assert.equal(m.authorEmail, 'Ann <ann@example.com>, Bob <bob@example.com>');
  });

  it('keeps the body as written: only a Description header is unfolded', () => {
    const m = parse('Metadata-Version: 2.1\nName: a\nVersion: 1\n\nExample:\n\n        indented code\n       |not a fold\n');
    assert.equal(m.description, 'Example:\n\n        indented code\n       |not a fold\n');
  });

  it('reads CRLF documents like LF ones', () => {
    const m = parse(V2_4.replace(/\n/g, '\r\n'));
    assert.deepEqual(m.problems, []);
    assert.deepEqual(m.licenseFiles, ['LICENSE', 'licenses/NOTICE.txt']);
  });
});

// Malformed documents and the problems packaging 26.2 reports for them (checked against
// packaging itself below when it is importable).
const MALFORMED: [string, string, [string, string][]][] = [
  ['unknown metadata version', 'Metadata-Version: 2.0\nName: a\nVersion: 1\n', [['metadata-version', "'2.0' is not a valid metadata version"]]],
  ['missing everything', 'Summary: x\n', [
    ['metadata-version', 'None is not a valid metadata version'],
    ['name', "'name' is a required field"],
    ['version', "'version' is a required field"],
  ]],
  ['invalid name and version', 'Metadata-Version: 2.1\nName: -bad-\nVersion: 1.x\n', [
    ['name', "'-bad-' is invalid for 'name'"],
    ['version', "'1.x' is invalid for 'version'"],
  ]],
  ['field newer than the metadata version', 'Metadata-Version: 1.0\nName: a\nVersion: 1\nRequires-Dist: b\nLicense-File: L\n', [
    ['requires-dist', 'requires-dist introduced in metadata version 1.2, not 1.0'],
    ['license-file', 'license-file introduced in metadata version 2.4, not 1.0'],
  ]],
  ['invalid Requires-Dist and Requires-Python', 'Metadata-Version: 2.1\nName: a\nVersion: 1\nRequires-Dist: ok\nRequires-Dist: bad req !!\nRequires-Python: >=3.x\n', [
    ['requires-dist', "'bad req !!' is invalid for 'requires-dist'"],
    ['requires-python', "'>=3.x' is invalid for 'requires-python'"],
  ]],
  ['duplicate single-use field and unknown field', 'Metadata-Version: 2.1\nName: a\nName: b\nVersion: 1\nX-Custom: 1\n', [
    ['name', "'name' has invalid data"],
    ['x-custom', "unrecognized field: 'x-custom'"],
    ['name', "'name' is a required field"],
  ]],
  ['description in header and body', 'Metadata-Version: 2.1\nName: a\nVersion: 1\nDescription: head\n\nbody\n', [
    ['description', "'description' has invalid data"],
  ]],
  ['multi-line summary', 'Metadata-Version: 2.1\nName: a\nVersion: 1\nSummary: one\n  two\n', [['summary', "'summary' must be a single line"]]],
  ['bad content type', 'Metadata-Version: 2.1\nName: a\nVersion: 1\nDescription-Content-Type: text/markdown; charset=utf-8\n', [
    ['description-content-type', "'description-content-type' can only specify the UTF-8 charset, not 'utf-8'"],
  ]],
  ['bad markdown variant', 'Metadata-Version: 2.1\nName: a\nVersion: 1\nDescription-Content-Type: text/markdown; variant=gfm\n', [
    ['description-content-type', "valid Markdown variants for 'description-content-type' are ['GFM', 'CommonMark'], not 'gfm'"],
  ]],
  ['bad dynamic fields', 'Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Name\n', [['dynamic', "'name' is not allowed as a dynamic field"]]],
  ['unknown dynamic field', 'Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: colour\n', [['dynamic', "'colour' is not a valid dynamic field"]]],
  ['invalid extra', 'Metadata-Version: 2.3\nName: a\nVersion: 1\nProvides-Extra: _bad\n', [['provides-extra', "'_bad' is invalid for 'provides-extra'"]]],
  ['invalid license expression', 'Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-Expression: MIT OR Nonsense-1.0\n', [
    ['license-expression', "'MIT OR Nonsense-1.0' is invalid for 'license-expression'"],
  ]],
  ['license file outside the tree', 'Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-File: ../LICENSE\n', [
    ['license-file', "'../LICENSE' is invalid for 'license-file', parent directory indicators are not allowed"],
  ]],
  ['absolute license file', 'Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-File: C:\\LICENSE\n', [
    ['license-file', "'C:\\\\LICENSE' is invalid for 'license-file', paths must be relative"],
  ]],
  ['license file with ./', 'Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-File: ./LICENSE\n', [
    ['license-file', "'./LICENSE' is invalid for 'license-file', paths must use '/' delimiter"],
  ]],
  ['duplicate project URL labels', 'Metadata-Version: 2.1\nName: a\nVersion: 1\nProject-URL: Home, http://a\nProject-URL: Home, http://b\n', [
    ['project-url', "'project-url' has invalid data"],
  ]],
  ['import names', 'Metadata-Version: 2.5\nName: a\nVersion: 1\nImport-Name: good.mod\nImport-Name: class\n', [
    ['import-name', "'class' is invalid for 'import-name'; 'class' is a keyword"],
  ]],
  ['values quoted as Python repr() quotes them', "Metadata-Version: 2.1\nName: it's\nVersion: 1\\x\n", [
    ['name', `"it's" is invalid for 'name'`],
    ['version', "'1\\\\x' is invalid for 'version'"],
  ]],
  ['headers stop at a line that is not a header', 'Metadata-Version: 2.1\nName: a\nnot a header\nVersion: 1\n', [
    ['version', "'version' is a required field"],
  ]],
];

// packaging words some messages from Python sets, whose order changes from run to run.
function setOrderFree(message: string): string {
  return message.replace(/\[('[^']*'(?:, '[^']*')*)\]/g, (_, items: string) => `[${items.split(', ').sort().join(', ')}]`);
}

function sortProblems(ps: { field: string; message: string }[]): [string, string][] {
  return ps.map((p) => [p.field, setOrderFree(p.message)] as [string, string]).sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : 1));
}

// packaging's view of each text. null (not compared): a document packaging itself crashes on
// (it does, on a '{' in a value or a LicenseRef with '+'), or one with characters this Python's
// Unicode database does not know yet (Node's is newer, so repr() and identifiers would differ).
const ORACLE = `
import json, sys, unicodedata
from packaging.metadata import parse_email, Metadata, _EMAIL_TO_RAW_MAPPING
out = []
for text in json.load(sys.stdin):
    if any(unicodedata.category(c) == "Cn" for c in text):
        out.append(None)
        continue
    try:
        raw, unparsed = parse_email(text)
        ps = [[k, f"{k!r} has invalid data" if k in _EMAIL_TO_RAW_MAPPING else f"unrecognized field: {k!r}"] for k in unparsed]
        try:
            Metadata.from_raw(raw, validate=True)
        except ExceptionGroup as g:
            ps += [[e.field, str(e)] for e in g.exceptions]
        out.append({"problems": ps})
    except Exception:
        out.append(None)
json.dump(out, sys.stdout)
`;

function packagingView(texts: string[]): ({ problems: [string, string][] } | null)[] {
  return runOracle(ORACLE, texts);
}

describe('problems', () => {
  for (const [label, text, expected] of MALFORMED) {
    it(label, () => {
      assert.deepEqual(sortProblems(parse(text).problems), sortProblems(expected.map(([field, message]) => ({ field, message }))));
    });
  }

  it('are exactly what packaging reports for the same documents', (t) => {
    if (!packagingOracleAvailable()) return t.skip(NO_ORACLE);
    const texts = [V1_0, V1_1, V1_2, V2_1, V2_2, V2_3, V2_4, ...MALFORMED.map(([, text]) => text)];
    const oracle = packagingView(texts);
    texts.forEach((text, i) => {
      assert.ok(oracle[i], `packaging crashed on ${text}`);
      assert.deepEqual(
        sortProblems(parse(text).problems),
        sortProblems(oracle[i]!.problems.map(([field, message]) => ({ field, message }))),
        text,
      );
    });
  });

  it('agree with packaging on generated documents', (t) => {
    const line = fc.oneof(
      fc.constantFrom(
        'Metadata-Version: 1.0',
        'Metadata-Version: 1.2',
        'Metadata-Version: 2.1',
        'Metadata-Version: 2.4',
        'Metadata-Version: 3.0',
        'Name: good-name',
        'Name: bad name',
        'name: Lower_Case',
        'Version: 1.0',
        'Version: 1.0-beta',
        'Version: x',
        'Summary: s',
        '  folded continuation',
        '\tfolded tab',
        'Requires-Dist: a>=1',
        'Requires-Dist: a >= 1 ; extra == "x"',
        'Requires-Dist: a[',
        'Provides-Extra: Dev_Tools',
        'Provides-Extra: -no',
        'Dynamic: Requires-Dist',
        'Dynamic: version',
        'License-Expression: Apache-2.0',
        'License-Expression: GPL-2.0+ WITH Classpath-exception-2.0',
        'License-Expression: MIT AND',
        'License-Expression: LicenseRef-Custom OR (mit)',
        'License-File: docs/LICENSE.txt',
        'License-File: a\\b',
        'Keywords: a,b',
        'Keywords: c',
        'Project-URL: Home, https://h',
        'Project-URL: nocomma',
        'Description: d',
        'Description-Content-Type: text/x-rst',
        'Description-Content-Type: text/html',
        'Requires-Python: >=3.8,<4',
        'Requires-Python: ~=3',
        'X-Unknown: 1',
        "Name: it's",
        'Version: 1\\0',
        'Requires-Python: >=3 "x"',
        'Dynamic: it\'s "q"',
        ':nameless',
        'From someone',
        '',
        'body text',
      ),
      fc.string({ unit: 'grapheme-composite', maxLength: 20 }),
    );
    if (!packagingOracleAvailable()) return t.skip(NO_ORACLE);
    const docs = fc.sample(fc.array(line, { minLength: 1, maxLength: 12 }), { numRuns: 800, seed: 42 }).map((ls) => ls.join('\n'));
    const oracle = packagingView(docs);
    let compared = 0;
    docs.forEach((text, i) => {
      const expected = oracle[i];
      if (!expected) return;
      let ours: CoreMetadata;
      try {
        ours = parse(text);
      } catch (e) {
        assert.ok(e instanceof InvalidMetadata, String(e));
        return;
      }
      compared++;
      assert.deepEqual(
        sortProblems(ours.problems),
        sortProblems(expected.problems.map(([field, message]) => ({ field, message }))),
        JSON.stringify(text),
      );
    });
    assert.ok(compared > 300, `${compared} generated documents compared`);
  });
});

describe('RFC 822 handling', () => {
  it('keeps folded lines as Python does and drops nameless headers', () => {
    const msg = parseRfc822('A: one\n two\n\tthree\n:nameless\n cont\nB:x\r\n\r\nbody\r\nmore');
    assert.deepEqual(msg.headers, [
      ['A', 'one\n two\n\tthree'],
      ['B', 'x'],
    ]);
    assert.equal(msg.body, 'body\r\nmore');
  });

  it('treats a first-line envelope as no header and a last one as body', () => {
    assert.deepEqual(parseRfc822('From x\nName: a\n').headers, [['Name', 'a']]);
    const m = parseRfc822('Name: a\nFrom x\n\nrest\n');
    assert.deepEqual(m.headers, [['Name', 'a']]);
    assert.equal(m.body, 'From x\nrest\n');
  });

  it('throws InvalidMetadata only when there is no header at all', () => {
    for (const text of ['', '\n\nbody', 'just text']) {
      assert.throws(() => parseCoreMetadata(text), (e: unknown) => e instanceof InvalidMetadata && e.code === 'INVALID_METADATA');
    }
  });

  it('is safe with header names that are Object.prototype keys', () => {
    const m = parseCoreMetadata('Metadata-Version: 2.1\nName: a\nVersion: 1\n__proto__: x\nconstructor: y\nProject-URL: __proto__, http://p\n');
    assert.deepEqual(Object.keys(m.unparsed).sort(), ['__proto__', 'constructor']);
    assert.deepEqual(Object.entries(m.projectUrls), [['__proto__', 'http://p']]);
    assert.equal(JSON.parse(JSON.stringify(m)).unparsed.constructor[0], 'y');
  });

  it('never throws anything but InvalidMetadata on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        try {
          parseCoreMetadata(s);
        } catch (e) {
          if (!(e instanceof InvalidMetadata)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('metadataNameVersion', () => {
  it('reads Name and Version from the headers only', () => {
    assert.deepEqual(metadataNameVersion(V2_1), { name: 'Pkg_Twenty.One', version: '2.1.0rc1' });
    assert.deepEqual(metadataNameVersion('Summary: x\n\nName: body\n'), { name: undefined, version: undefined });
  });
});

describe('canonicalizeLicenseExpression', () => {
  const EXPRESSIONS = [
    'mit',
    'MIT AND (Apache-2.0 OR BSD-2-Clause)',
    'gpl-2.0-or-later WITH classpath-exception-2.0',
    'LicenseRef-My-Thing OR licenseref-Other',
    'LicenseRef-Bad_Char',
    'LGPL-2.1+',
    '(mit',
    'mit)',
    '()',
    'MIT OR',
    'AND MIT',
    'MIT MIT',
    'MIT WITH Nonsense-exception',
    'Use-it-after-midnight',
    '((MIT))',
    'MIT (OR) Apache-2.0',
    '   ',
    'MIT\tAND\u00a0Apache-2.0',
    'mit and (apache-2.0)(bsd-3-clause)',
    'GPL-3.0-only WITH GCC-exception-3.1 OR 0BSD',
  ];

  it('agrees with packaging.licenses on valid and invalid expressions', (t) => {
    if (!packagingOracleAvailable()) return t.skip(NO_ORACLE);
    const expected = runOracle<(string | null)[]>(
      `import json, sys
from packaging.licenses import canonicalize_license_expression as c
out = []
for e in json.load(sys.stdin):
    try: out.append(c(e))
    except ValueError as x: out.append(None)
print(json.dumps(out))`,
      EXPRESSIONS,
    );
    EXPRESSIONS.forEach((e, i) => {
      let ours: string | null;
      try {
        ours = canonicalizeLicenseExpression(e);
      } catch (err) {
        assert.ok(err instanceof InvalidLicenseExpression, String(err));
        ours = null;
      }
      assert.equal(ours, expected[i], e);
    });
  });

  it('never throws anything but InvalidLicenseExpression on arbitrary text', () => {
    const token = fc.oneof(fc.constantFrom('MIT', 'and', 'OR', 'with', '(', ')', 'LicenseRef-x', 'GPL-2.0+', ' '), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), (tokens) => {
        try {
          canonicalizeLicenseExpression(tokens.join(' '));
        } catch (e) {
          if (!(e instanceof InvalidLicenseExpression)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('normalises case and says what is unknown', () => {
    assert.equal(canonicalizeLicenseExpression('mit and (apache-2.0 or bsd-2-clause)'), 'MIT AND (Apache-2.0 OR BSD-2-Clause)');
    assert.throws(() => canonicalizeLicenseExpression('Use-it-after-midnight'), /Unknown license: 'use-it-after-midnight'/);
    assert.throws(() => canonicalizeLicenseExpression('(mit'), /Invalid license expression/);
  });
});
