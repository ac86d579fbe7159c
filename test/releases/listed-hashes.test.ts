// A hash-pinned requirements file chooses among the wheels of one version, as pip's finder
// does: only files whose hash is listed are candidates.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { createRelease } from '../../src/releases/service.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';
const URL = 'https://p.example/simple/';

describe('release create -r with listed hashes', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'acme-c', version: '2.1', tags: ['py3-none-any'] },
      { name: 'acme-c', version: '2.1', tags: ['cp311-cp311-manylinux_2_17_x86_64'] },
    ]);
  });
  after(() => t.cleanup());
  const file = (tag: string) => t.files.find((f) => f.filename.endsWith(`${tag}.whl`))!;

  it('pins the wheel whose hash is listed, though another wheel of the version ranks higher', async () => {
    const pure = file('py3-none-any');
    const text = `acme-c==2.1 --hash=sha256:${pure.sha256}\n`;
    const r = await createRelease(t.repo, { name: 'r1', targets: [LINUX], requirementsFile: { text }, indexUrl: URL }, ADMIN);
    assert.deepEqual(r.pins.map((p) => p.filename), [pure.filename]);
    // Without hashes the better-ranked wheel is the one.
    const plain = await createRelease(t.repo, { name: 'r2', targets: [LINUX], requirements: ['acme-c==2.1'], indexUrl: URL }, ADMIN);
    assert.deepEqual(plain.pins.map((p) => p.filename), [file('manylinux_2_17_x86_64').filename]);
  });

  it('a listed hash no candidate has: refused, naming the hashes and the candidates', async () => {
    const text = `acme-c==2.1 --hash=sha256:${'0'.repeat(64)}\n`;
    await assert.rejects(createRelease(t.repo, { name: 'r3', targets: [LINUX], requirementsFile: { text }, indexUrl: URL }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'RELEASE_HASH_MISMATCH');
      assert.match(e.message, new RegExp(`${LINUX}: acme-c==2.1 lists sha256:${'0'.repeat(64)}`));
      assert.ok(e.message.includes(`${file('py3-none-any').filename} (sha256:${file('py3-none-any').sha256})`), e.message);
      assert.ok(e.message.includes(file('manylinux_2_17_x86_64').filename), e.message);
      return true;
    });
  });
});
