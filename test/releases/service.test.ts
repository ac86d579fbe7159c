// Release creation rules over a real catalog (no archives needed: a release reads rows only).
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { createRelease, patchRelease, showRelease } from '../../src/releases/service.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';

describe('release service', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'alpha', version: '1.0', deps: ['beta>=1'] },
      { name: 'beta', version: '1.0' },
      { name: 'beta', version: '1.1' },
      { name: 'beta', version: '1.2' },
      { name: 'gamma', version: '3.0', tags: ['cp311-cp311-manylinux_2_17_x86_64'] },
      { name: 'gamma', version: '3.0', tags: ['py3-none-any'], suffix: '-pure' },
    ]);
  });
  after(() => t.cleanup());

  const sha = (name: string, version: string) => t.files.find((f) => f.project === name && f.version === version)!.sha256;

  it('names a release after its creation date, and writes the configured index URL', async () => {
    t.repo.config.server.base_url = 'https://pypi.example.com/';
    const r = await createRelease(t.repo, { targets: [LINUX], all: true, created: '2026-11-29T08:00:00.123Z' }, ADMIN);
    assert.equal(r.name, '2026.11.29');
    assert.equal(r.createdAt, '2026-11-29T08:00:00Z');
    assert.equal(r.indexUrl, 'https://pypi.example.com/simple/');
    const txt = (await t.repo.catalog.releaseSets.getDocument(r.name, `${LINUX}.txt`))!.content;
    assert.ok(txt.includes('--index-url https://pypi.example.com/simple/\n--require-hashes\n'), 'no --trusted-host for https');
    // Every project once, newest; gamma installs as its manylinux wheel (better tag than py3-none-any).
    assert.deepEqual(
      r.pins.map((p) => `${p.project}==${p.version} ${p.filename}`),
      ['alpha==1.0 alpha-1.0-py3-none-any.whl', 'beta==1.2 beta-1.2-py3-none-any.whl', 'gamma==3.0 gamma-3.0-cp311-cp311-manylinux_2_17_x86_64.whl'],
    );
    assert.ok(txt.endsWith(`gamma==3.0 --hash=sha256:${r.pins[2]!.sha256}\n`));
    t.repo.config.server.base_url = null;
    // The signing key was made on first use, readable by its owner only.
    assert.equal(statSync(join(t.dataDir, 'keys', 'release-signing.key')).mode & 0o777, 0o600);
    assert.match(readFileSync(join(t.dataDir, 'keys', 'release-signing.pub'), 'utf8'), /^-----BEGIN PUBLIC KEY-----/);
  });

  it('takes a hash-pinned requirements file, insisting on its hashes', async () => {
    const file = (h: string) => `--require-hashes\nalpha==1.0 --hash=sha256:${sha('alpha', '1.0')}\nbeta==1.1 \\\n    --hash=sha256:${h}\n`;
    const r = await createRelease(t.repo, { name: 'from-file', targets: [LINUX], requirementsFile: { text: file(sha('beta', '1.1')) } }, ADMIN);
    assert.deepEqual(r.pins.map((p) => `${p.project}==${p.version}`), ['alpha==1.0', 'beta==1.1']);
    await assert.rejects(
      createRelease(t.repo, { name: 'bad-hash', targets: [LINUX], requirementsFile: { text: file('0'.repeat(64)) } }, ADMIN),
      (e: PyvetError) => e.code === 'RELEASE_HASH_MISMATCH' && /beta-1\.1-py3-none-any\.whl/.test(e.message),
    );
    await assert.rejects(
      createRelease(t.repo, { name: 'two-sources', targets: [LINUX], all: true, requirements: ['alpha'] }, ADMIN),
      (e: PyvetError) => e.code === 'RELEASE_SPEC_INVALID',
    );
    await assert.rejects(createRelease(t.repo, { name: 'no-target', targets: [], all: true }, ADMIN), (e: PyvetError) => e.code === 'TARGET_REQUIRED');
  });

  it('numbers patches .postN and records the base', async () => {
    const p1 = await patchRelease(t.repo, 'from-file', { upgrades: ['beta==1.2'] }, ADMIN);
    assert.equal(p1.name, 'from-file.post1');
    const p2 = await patchRelease(t.repo, 'from-file.post1', { upgrades: ['beta==1.0'] }, ADMIN);
    assert.equal(p2.name, 'from-file.post2');
    assert.equal(p2.base, 'from-file.post1');
    assert.equal((await showRelease(t.repo, 'from-file.post2')).pins.find((p) => p.project === 'beta')!.version, '1.0');
    // Adding a project that was not there is allowed; so is its closure being checked.
    const p3 = await patchRelease(t.repo, 'from-file', { upgrades: ['gamma==3.0'], name: 'with-gamma' }, ADMIN);
    assert.deepEqual(p3.pins.map((p) => p.project), ['alpha', 'beta', 'gamma']);
    await assert.rejects(patchRelease(t.repo, 'from-file', { upgrades: ['beta>=1'] }, ADMIN), (e: PyvetError) => e.code === 'UPGRADE_INVALID');
    await assert.rejects(patchRelease(t.repo, 'nope', { upgrades: ['beta==1.0'] }, ADMIN), (e: PyvetError) => e.code === 'RELEASE_NOT_FOUND');
  });
});
