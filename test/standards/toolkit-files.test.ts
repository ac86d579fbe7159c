// The 90 published requirements files of the Python AI Toolkit for IBM z/OS (see
// test/fixtures/pyaitoolkit/SOURCE.md): every one parses, round-trips through the writer, and
// reads exactly as pip's own requirements-file parser reads it (when pip is importable).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseRequirementsFile, writeRequirementsFile } from '../../src/standards/requirements-file.js';
import { cleanPipEnv } from '../helpers/python.js';
import { fixture } from '../helpers/paths.js';
import { semantics } from './requirements-semantics.js';

const dir = fixture('pyaitoolkit');
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();
const files = names.map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') }));

// pip's parser as the oracle: requirement text, editable flag and sorted hashes per file.
const PIP_ORACLE = `
import json, sys
from pip._internal.req.req_file import parse_requirements
out = {}
for path in sys.argv[1:]:
    out[path] = [
        [r.requirement.strip(), r.is_editable,
         sorted(f"{k}:{v}" for k, vs in ((r.options or {}).get("hashes") or {}).items() for v in vs)]
        for r in parse_requirements(path, session=None)
    ]
json.dump(out, sys.stdout)
`;

describe('published toolkit requirements files', () => {
  it('there are 90 of them', () => {
    assert.equal(files.length, 90);
  });

  it('all parse: pinned, hash-checked, binary-only requirements with the index options', () => {
    let requirements = 0;
    for (const { name, text } of files) {
      const f = parseRequirementsFile(text, { filename: name });
      assert.ok(f.indexUrl?.startsWith('https://downloads.pyaitoolkit.ibm.net'), name);
      assert.deepEqual(f.trustedHosts, ['downloads.pyaitoolkit.ibm.net'], name);
      assert.equal(f.requireHashes, true, name);
      assert.deepEqual(f.onlyBinary, [':all:'], name);
      assert.ok(f.header.length > 0, `${name} keeps its header comments`);
      assert.ok(f.requirements.length > 0, name);
      for (const r of f.requirements) {
        assert.ok(r.name, `${name}:${r.line}`);
        assert.equal(r.requirement!.specifier.toString().startsWith('=='), true, `${name}:${r.line} ${r.text}`);
        assert.ok(r.hashes.length >= 1, `${name}:${r.line}`);
        for (const h of r.hashes) assert.match(h, /^sha256:[0-9a-f]{64}$/);
      }
      requirements += f.requirements.length;
    }
    process.stdout.write(`# ${files.length} toolkit files, ${requirements} requirements\n`);
  });

  it('each round-trips through the writer with the same requirements, hashes, markers and options', () => {
    for (const { name, text } of files) {
      const first = parseRequirementsFile(text, { filename: name });
      const written = writeRequirementsFile(first);
      const second = parseRequirementsFile(written, { filename: name });
      assert.deepEqual(semantics(second), semantics(first), name);
      assert.deepEqual(second.header, first.header, name);
      assert.equal(writeRequirementsFile(second), written, `${name}: writing is deterministic`);
    }
  });

  // pip is slow to start and parse (seconds per dozen files on a loaded CI machine): a spread
  // sample of the files keeps the suite short while every file is checked above.
  it('reads a sample of the files exactly as pip does', (t) => {
    const probe = spawnSync('python3', ['-c', 'import pip._internal.req.req_file'], { env: cleanPipEnv() });
    if (probe.status !== 0) {
      t.skip('pip is not importable by python3: the pip oracle comparison is skipped');
      return;
    }
    const sample = files.filter((_, i) => i % 15 === 0);
    const paths = sample.map((f) => join(dir, f.name));
    const r = spawnSync('python3', ['-c', PIP_ORACLE, ...paths], {
      env: cleanPipEnv(),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(r.status, 0, r.stderr);
    const pip = JSON.parse(r.stdout) as Record<string, [string, boolean, string[]][]>;
    for (const [i, { name, text }] of sample.entries()) {
      const ours = parseRequirementsFile(text).requirements.map((e) => [e.text, e.editable, [...e.hashes].sort()]);
      assert.deepEqual(ours, pip[paths[i]!], name);
    }
  });
});
