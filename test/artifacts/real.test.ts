// Real distributions inspect cleanly: wheels and sdists built by `python -m build`, and a sample
// of real PyPI wheels from /opt/pypi (skipped where absent) whose sha256 must be the one their
// PEP 503 page promises. Digests are cross-checked against Python's hashlib on the same files.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { artifactLimits, hashFile, inspectArtifact } from '../../src/artifacts/index.js';
import { defaultConfig } from '../../src/config.js';
import type { PyvetError } from '../../src/errors.js';
import { tempDir } from '../helpers/paths.js';
import { buildProject, clientAvailable, LOCAL_PYPI, localPypiAvailable } from '../helpers/python.js';

const limits = artifactLimits(defaultConfig().limits);
const dir = tempDir('pyvet-real-');
after(dir.cleanup);

/** The sha256 each /opt/pypi page promises for each file, and its project, by filename. */
function localPypiFiles(): Map<string, { project: string; sha256: string }> {
  const files = new Map<string, { project: string; sha256: string }>();
  const simple = join(LOCAL_PYPI, 'simple');
  for (const project of readdirSync(simple)) {
    let html: string;
    try {
      html = readFileSync(join(simple, project, 'index.html'), 'utf8');
    } catch {
      continue;
    }
    for (const m of html.matchAll(/href="\.\.\/\.\.\/files\/([^"#]+)#sha256=([0-9a-f]{64})"/g)) {
      files.set(decodeURIComponent(m[1]!), { project, sha256: m[2]! });
    }
  }
  return files;
}

function pythonDigests(path: string): { sha256: string; blake2b256: string; md5: string; size: number } {
  const script = [
    'import hashlib, json, sys',
    'data = open(sys.argv[1], "rb").read()',
    'print(json.dumps({"sha256": hashlib.sha256(data).hexdigest(), "blake2b256": hashlib.blake2b(data, digest_size=32).hexdigest(),',
    '  "md5": hashlib.md5(data).hexdigest(), "size": len(data)}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' }));
}

const buildSkip = clientAvailable('build');
describe('wheels and sdists built by python -m build', { skip: buildSkip === true ? false : buildSkip }, () => {
  let built: { wheel: string; sdist: string };
  before(() => {
    built = buildProject(
      { name: 'pyvet_art_demo', version: '1.2.3', dependencies: ['six>=1.10', 'requests[socks]; python_version >= "3.8"'], requiresPython: '>=3.8', license: 'MIT' },
      join(dir.path, 'dist'),
    );
  });

  test('the wheel', async () => {
    const r = await inspectArtifact(built.wheel, { limits });
    assert.equal(r.kind, 'wheel');
    assert.equal(r.name, 'pyvet-art-demo');
    // setuptools writes the name as it normalizes it; the report keeps whatever was written.
    assert.match(r.metadataBytes.toString('utf8'), new RegExp(`^Name: ${r.displayName}$`, 'm'));
    assert.equal(r.version, '1.2.3');
    assert.deepEqual(r.tags, ['py3-none-any']);
    assert.equal(r.requiresPython, '>=3.8');
    // As setuptools writes them (its spelling varies by version): the same two requirements.
    assert.deepEqual(
      r.requiresDist.map((d) => d.replace(/[\s()]/g, '')),
      ['six>=1.10', 'requests[socks];python_version>="3.8"'],
    );
    assert.equal(r.summary, 'pyvet test project');
    assert.equal(r.license, 'MIT');
    assert.ok(r.integrity.checks.every((c) => c.check === 'metadata-valid' || c.ok), JSON.stringify(r.integrity));
    assert.deepEqual(r.digests, pythonDigests(built.wheel));
  });

  test('the sdist', async () => {
    const r = await inspectArtifact(built.sdist, { limits });
    assert.equal(r.kind, 'sdist');
    assert.equal(r.name, 'pyvet-art-demo');
    assert.equal(r.version, '1.2.3');
    assert.equal(r.requiresPython, '>=3.8');
    assert.match(r.metadataBytes.toString('utf8'), new RegExp(`^Name: ${r.displayName}$`, 'm'));
    assert.deepEqual(r.digests, pythonDigests(built.sdist));
  });

  test('a truncated copy of the wheel is ARCHIVE_CORRUPT, and so is one with a byte flipped', async () => {
    const bytes = readFileSync(built.wheel);
    const cut = join(dir.path, 'cut', 'pyvet_art_demo-1.2.3-py3-none-any.whl');
    execFileSync('mkdir', ['-p', join(dir.path, 'cut')]);
    for (const length of [bytes.length - 1, bytes.length >> 1, 100]) {
      writeFileSync(cut, bytes.subarray(0, length));
      await assert.rejects(inspectArtifact(cut, { limits }), (e: PyvetError) => e.code === 'ARCHIVE_CORRUPT');
    }
    // Flip a byte inside the first member's compressed data: inflate or CRC-32 must notice.
    const flipped = Buffer.from(bytes);
    const nameLength = flipped.readUInt16LE(26);
    const extraLength = flipped.readUInt16LE(28);
    flipped[30 + nameLength + extraLength + 2]! ^= 0xff;
    writeFileSync(cut, flipped);
    await assert.rejects(inspectArtifact(cut, { limits }), (e: PyvetError) => e.code === 'ARCHIVE_CORRUPT');
  });
});

const pypiSkip = localPypiAvailable() ? false : `${LOCAL_PYPI} is absent: real PyPI wheel sample skipped`;
describe('a sample of real PyPI wheels from /opt/pypi', { skip: pypiSkip }, () => {
  test('40 wheels inspect cleanly with the sha256 their index page promises', async () => {
    const files = localPypiFiles();
    const wheels = [...files.keys()].filter((f) => f.endsWith('.whl')).sort();
    assert.ok(wheels.length >= 40, `only ${wheels.length} wheels`);
    // An even spread over the alphabet, the same on every run.
    const step = Math.floor(wheels.length / 40);
    const sample = Array.from({ length: 40 }, (_, i) => wheels[i * step]!);
    for (const filename of sample) {
      const promised = files.get(filename)!;
      const path = join(LOCAL_PYPI, 'files', filename);
      const r = await inspectArtifact(path, { limits, expectedSha256: promised.sha256 });
      assert.equal(r.digests.sha256, promised.sha256, filename);
      assert.equal(r.name, promised.project, filename);
      assert.ok(r.tags.length > 0, filename);
      assert.ok(r.metadataBytes.length > 0, filename);
      const failed = r.integrity.checks.filter((c) => !c.ok && c.check !== 'metadata-valid');
      assert.deepEqual(failed, [], filename);
    }
  });

  test('a truncated real wheel is ARCHIVE_CORRUPT', async () => {
    const six = readdirSync(join(LOCAL_PYPI, 'files')).find((f) => f.startsWith('six-') && f.endsWith('.whl'))!;
    const bytes = readFileSync(join(LOCAL_PYPI, 'files', six));
    const path = join(dir.path, six);
    writeFileSync(path, bytes.subarray(0, bytes.length - 200));
    await assert.rejects(inspectArtifact(path, { limits }), (e: PyvetError) => e.code === 'ARCHIVE_CORRUPT');
  });
});

describe('digests agree with Python hashlib', () => {
  test('empty, one byte, 3 MB of random bytes (across read chunks), and real wheels', async () => {
    const paths: string[] = [];
    for (const [name, bytes] of [
      ['empty', Buffer.alloc(0)],
      ['one', Buffer.from('a')],
      ['random', randomBytes(3 * 1024 * 1024 + 17)],
    ] as const) {
      const path = join(dir.path, name);
      writeFileSync(path, bytes);
      paths.push(path);
    }
    if (localPypiAvailable()) {
      const files = readdirSync(join(LOCAL_PYPI, 'files')).sort();
      paths.push(join(LOCAL_PYPI, 'files', files[0]!), join(LOCAL_PYPI, 'files', files[files.length - 1]!));
    }
    for (const path of paths) assert.deepEqual(await hashFile(path), pythonDigests(path), path);
  });
});
