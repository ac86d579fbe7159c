import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  InvalidRequirementsFile,
  parseRequirementsFile,
  type RequirementsFile,
  writeRequirementsFile,
} from '../../src/standards/requirements-file.js';
import { semantics } from './requirements-semantics.js';

const H1 = `sha256:${'a'.repeat(64)}`;
const H2 = `sha256:${'b'.repeat(64)}`;

const SAMPLE = [
  '# Toolkit for a cp312 target',
  '#',
  '--index-url https://pypi.example.com/simple',
  '-i https://ignored.example.com/simple',
  '--extra-index-url=https://extra.example.com/simple',
  '--trusted-host pypi.example.com',
  '--require-hashes --only-binary :all:',
  '--no-binary=foo,bar',
  '--pre',
  '-r base.txt',
  '--constraint constraints.txt',
  '-f ./wheels',
  '',
  '# generated',
  '',
  `alembic==1.18.1 --hash=${H1}`,
  `numpy==2.0.0 \\`,
  `    --hash=${H1} \\`,
  `    --hash ${H2}`,
  "requests[socks,security] >= 2.31, < 3 ; python_version >= '3.8' # trailing comment",
  'pkg @ https://example.com/pkg-1.0-py3-none-any.whl#sha256=abc',
  'https://example.com/other-1.0.tar.gz; sys_platform == "zos"',
  './local/dist-1.0-py3-none-any.whl',
  '-e ./src/mypkg',
  'simple',
  'cfg-pkg==1 --config-settings="--build-option=--x y"',
].join('\n');

describe('parseRequirementsFile', () => {
  const f = parseRequirementsFile(SAMPLE, { filename: 'sample.txt' });

  it('reads the global options', () => {
    assert.equal(f.indexUrl, 'https://ignored.example.com/simple', 'the last --index-url wins, as in pip');
    assert.deepEqual(f.extraIndexUrls, ['https://extra.example.com/simple']);
    assert.deepEqual(f.trustedHosts, ['pypi.example.com']);
    assert.equal(f.requireHashes, true);
    assert.equal(f.pre, true);
    assert.equal(f.noIndex, false);
    assert.deepEqual(f.onlyBinary, [':all:']);
    assert.deepEqual(f.noBinary, ['foo', 'bar']);
    assert.deepEqual(f.findLinks, ['./wheels']);
    assert.deepEqual(f.requirementFiles, [{ path: 'base.txt', line: 10 }]);
    assert.deepEqual(f.constraintFiles, [{ path: 'constraints.txt', line: 11 }]);
    assert.deepEqual(f.header, ['# Toolkit for a cp312 target', '#']);
    assert.deepEqual(f.preamble, ['# generated']);
  });

  it('reads requirements with hashes, continuations, markers, URLs and editables', () => {
    const r = f.requirements;
    assert.deepEqual(
      r.map((e) => [e.line, e.name]),
      [
        [16, 'alembic'],
        [17, 'numpy'],
        [20, 'requests'],
        [21, 'pkg'],
        [22, undefined],
        [23, undefined],
        [24, undefined],
        [25, 'simple'],
        [26, 'cfg-pkg'],
      ],
    );
    assert.deepEqual(r[0]!.hashes, [H1]);
    assert.deepEqual(r[1]!.hashes, [H1, H2]);
    assert.equal(r[1]!.requirement!.specifier.toString(), '==2.0.0');
    assert.equal(r[2]!.text, "requests[socks,security] >= 2.31, < 3 ; python_version >= '3.8'");
    assert.deepEqual(r[2]!.requirement!.extras.slice().sort(), ['security', 'socks']);
    assert.equal(r[2]!.requirement!.marker!.toString(), 'python_version >= "3.8"');
    assert.equal(r[3]!.url, 'https://example.com/pkg-1.0-py3-none-any.whl#sha256=abc');
    assert.equal(r[4]!.url, 'https://example.com/other-1.0.tar.gz');
    assert.equal(r[4]!.urlMarker, 'sys_platform == "zos"');
    assert.equal(r[5]!.url, './local/dist-1.0-py3-none-any.whl');
    assert.deepEqual([r[6]!.editable, r[6]!.url], [true, './src/mypkg']);
    assert.deepEqual(r[8]!.configSettings, ['--build-option=--x y']);
  });

  it('names the line of what is wrong and changes nothing', () => {
    const cases: [string, RegExp][] = [
      ['ok==1\n\nnot a valid requirement!!', /^line 3: invalid requirement/],
      ['ok==1\nfoo==1 --hash=md5:abc', /^line 2: allowed hash algorithms/],
      ['foo==1 --hash=sha256', /^line 1: --hash must be a hash name/],
      ['foo==1 --hash=sha256:xyz', /^line 1: --hash digest is not hexadecimal/],
      ['--bogus-option x', /^line 1: invalid options '--bogus-option x': no such option/],
      ['--index-url', /^line 1: invalid options '--index-url': --index-url option requires 1 argument/],
      ["--index-url 'unterminated", /No closing quotation/],
      ['a==1\nb==2 \\\n  --hash=sha1:00', /^line 2: allowed hash algorithms/],
      // '#' is a comment only at the start or after whitespace, as in pip.
      ['bar==2#not-a-comment', /^line 1: invalid requirement 'bar==2#not-a-comment'/],
      // optparse checks --hash on option lines as well.
      ['--pre --hash=sha256', /^line 1: --hash must be a hash name/],
      // A path-looking text that is neither an archive nor a plain path is a (bad) PEP 508 requirement.
      ['d/>', /^line 1: invalid requirement 'd\/>'/],
      ['https://e.com/x-1.tar.gz; os_name === ', /^line 1: invalid marker 'os_name ==='/],
    ];
    for (const [text, re] of cases) {
      assert.throws(
        () => parseRequirementsFile(text),
        (e: unknown) => e instanceof InvalidRequirementsFile && e.code === 'INVALID_REQUIREMENTS_FILE' && re.test(e.message),
        text,
      );
    }
    assert.throws(() => parseRequirementsFile('x y z', { filename: 'r.txt' }), /: r\.txt, line 1: invalid requirement/);
  });
});

describe('pip quirks that parse', () => {
  it('joins continuations, strips backslashes and drops ' + "' #' comments only", () => {
    const f = parseRequirementsFile(
      ['foo==1 #comment', '# a comment ending in a backslash \\', 'baz==3', '--extra-index https://x.example/simple', '--no-index', '\\qux==4\\'].join(
        '\r\n',
      ),
    );
    assert.deepEqual(
      f.requirements.map((r) => r.text),
      ['foo==1', 'baz==3', 'qux==4'],
    );
    assert.deepEqual(f.extraIndexUrls, ['https://x.example/simple'], 'unique prefixes of long options are accepted');
    assert.equal(f.noIndex, true);
  });
});

describe('environment variables', () => {
  const ref = (name: string) => `\${${name}}`;
  it('expands references only from the environment given, as pip does from its own', () => {
    const text = `--index-url https://${ref('HOST')}/simple\nfoo==${ref('VERSION')}\n`;
    assert.throws(() => parseRequirementsFile(text), /line 2: invalid requirement 'foo==\$\{VERSION\}'/);
    const f = parseRequirementsFile(text, { env: { HOST: 'pypi.example.com', VERSION: '1.2', EMPTY: '' } });
    assert.equal(f.indexUrl, 'https://pypi.example.com/simple');
    assert.equal(f.requirements[0]!.requirement!.specifier.toString(), '==1.2');
    // Empty values and lower-case names are left as written.
    const unexpanded = `${ref('EMPTY')}${ref('lower')}`;
    assert.equal(parseRequirementsFile(`--index-url ${unexpanded}`, { env: { EMPTY: '', lower: 'x' } }).indexUrl, unexpanded);
  });
});

describe('requirement kinds', () => {
  it('tells URLs, archives, directories and PEP 508 requirements apart as pip does', () => {
    const f = parseRequirementsFile(
      [
        'git+https://example.com/repo.git@v1#egg=repo',
        'https://e.com/a;b-1.0.tar.gz; python_version >= "3"',
        '../wheels/pkg-1.0-py3-none-any.whl[extra]',
        '~/src/project',
        'name @ ./relative/dir',
        `-e ./editable --hash=${H1}`,
      ].join('\n'),
    ).requirements;
    assert.deepEqual(
      f.map((r) => [r.name, r.url, r.urlMarker, r.editable, r.hashes.length]),
      [
        [undefined, 'git+https://example.com/repo.git@v1#egg=repo', undefined, false, 0],
        [undefined, 'https://e.com/a;b-1.0.tar.gz', 'python_version >= "3"', false, 0],
        [undefined, '../wheels/pkg-1.0-py3-none-any.whl[extra]', undefined, false, 0],
        [undefined, '~/src/project', undefined, false, 0],
        ['name', './relative/dir', undefined, false, 0],
        // pip drops the options of an editable requirement.
        [undefined, './editable', undefined, true, 0],
      ],
    );
  });
});

describe('writeRequirementsFile', () => {
  it('round-trips: parse(write(parse(x))) has the same requirements and options', () => {
    const first = parseRequirementsFile(SAMPLE);
    const text = writeRequirementsFile(first);
    const second = parseRequirementsFile(text);
    assert.deepEqual(semantics(second), semantics(first));
    assert.equal(writeRequirementsFile(second), text, 'writing is deterministic');
    assert.ok(text.startsWith('# Toolkit for a cp312 target\n#\n--index-url https://ignored.example.com/simple\n'));
  });

  it('sorts by canonical name when asked, and writes several hashes on continuation lines', () => {
    const f = parseRequirementsFile(`Zeta==1\nalpha==2 --hash=${H1} --hash=${H2}\nMid_Pkg==3\n`);
    const text = writeRequirementsFile(f, { sort: true });
    assert.equal(text, `alpha==2 \\\n    --hash=${H1} \\\n    --hash=${H2}\nMid_Pkg==3\nZeta==1\n`);
  });

  it('quotes option values that shlex would split', () => {
    const f = parseRequirementsFile(`--find-links "/some dir/wheels"\n-e "./my pkg"\n`);
    const again = parseRequirementsFile(writeRequirementsFile(f));
    assert.deepEqual(again.findLinks, ['/some dir/wheels']);
    assert.equal(again.requirements[0]!.url, './my pkg');
  });

  it('never throws anything but its typed error on arbitrary text, and round-trips what it accepts', () => {
    const line = fc.oneof(
      fc.string({ unit: 'grapheme-composite', maxLength: 30 }),
      fc.constantFrom('foo==1', '--pre', '-r x.txt', `bar>=2 --hash=${H1}`, '# c', '\\', '  --hash', "baz; python_version<'3'"),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'), (lines, eol) => {
        let parsed: RequirementsFile;
        try {
          parsed = parseRequirementsFile(lines.join(eol));
        } catch (e) {
          if (e instanceof InvalidRequirementsFile) return;
          throw e;
        }
        const written = writeRequirementsFile(parsed);
        const again = parseRequirementsFile(written);
        assert.deepEqual(semantics(again), semantics(parsed));
        assert.equal(writeRequirementsFile(again), written, 'write(parse(x)) is a fixed point');
      }),
      { numRuns: 1500 },
    );
  });
});
