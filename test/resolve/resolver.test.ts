import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { resolve } from '../../src/resolve/resolver.js';
import { getTargets } from '../../src/resolve/targets.js';
import { repoWith } from './support.js';

const [LINUX, WIN] = getTargets({ targets: [] }, ['cp311-manylinux_x86_64', 'cp311-win_amd64']);

function pins(r: { pins: { project: string; version: string }[] }): string[] {
  return r.pins.map((p) => `${p.project}==${p.version}`);
}

describe('resolver', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  before(async () => {
    t = await repoWith([
      { name: 'app', version: '1.0', deps: ['lib>=1', 'util', 'winonly; sys_platform == "win32"'] },
      { name: 'lib', version: '1.0', deps: ['util<2'] },
      { name: 'lib', version: '2.0', deps: ['util>=2,<3'] },
      { name: 'lib', version: '3.0', deps: ['util>=3'] },
      { name: 'util', version: '1.0' },
      { name: 'util', version: '2.0' },
      { name: 'util', version: '3.0' },
      { name: 'util', version: '4.0rc1' },
      { name: 'tool', version: '1.0', deps: ['util<3'] },
      { name: 'fancy', version: '1.0', extras: ['color'], deps: ['colorlib>=1; extra == "color"'] },
      { name: 'fancy', version: '2.0', extras: ['color'], deps: ['colorlib>=2; extra == "color"'] },
      { name: 'colorlib', version: '1.5' },
      { name: 'winonly', version: '1.0', tags: ['cp311-cp311-win_amd64'] },
      { name: 'native', version: '1.0', tags: ['cp311-cp311-win_amd64'] },
      { name: 'native', version: '0.9' },
    ]);
  });
  after(() => t.cleanup());

  it('among wheels of one version with the same tag, takes the highest build tag, as pip does', async () => {
    const b = await repoWith(['', '-1', '-2', '-9', '-10', '-10b'].map((suffix) => ({ name: 'built', version: '1.0', suffix })));
    try {
      const r = await resolve(b.repo, ['built'], LINUX!);
      assert.deepEqual(r.pins.map((p) => p.filename), ['built-1.0-10b-py3-none-any.whl']);
    } finally {
      b.cleanup();
    }
  });

  it('prefers the newest versions', async () => {
    assert.deepEqual(pins(await resolve(t.repo, ['app'], LINUX!)), ['app==1.0', 'lib==3.0', 'util==3.0']);
  });

  it('backtracks when a newer version conflicts', async () => {
    const r = await resolve(t.repo, ['app', 'tool'], LINUX!);
    assert.deepEqual(pins(r), ['app==1.0', 'lib==2.0', 'tool==1.0', 'util==2.0']);
    assert.deepEqual(r.pins.find((p) => p.project === 'util')!.requiredBy, ['app 1.0', 'lib 2.0', 'tool 1.0']);
  });

  it('treats name[extra] as depending on the same version of name, as pip does', async () => {
    // fancy 2.0 [color] needs colorlib>=2, which is not there: fancy 1.0 it is.
    const r = await resolve(t.repo, ['fancy[color]'], LINUX!);
    assert.deepEqual(pins(r), ['colorlib==1.5', 'fancy==1.0']);
    assert.deepEqual(r.pins.find((p) => p.project === 'fancy')!.extras, ['color']);
    // Without the extra, the newest.
    assert.deepEqual(pins(await resolve(t.repo, ['fancy'], LINUX!)), ['fancy==2.0']);
  });

  it('takes pre-releases only when asked or named', async () => {
    assert.deepEqual(pins(await resolve(t.repo, ['util'], LINUX!)), ['util==3.0']);
    assert.deepEqual(pins(await resolve(t.repo, ['util>=4.0rc1'], LINUX!)), ['util==4.0rc1']);
    assert.deepEqual(pins(await resolve(t.repo, ['util'], LINUX!, { prereleases: true })), ['util==4.0rc1']);
  });

  it('evaluates markers and tags for the target', async () => {
    assert.deepEqual(pins(await resolve(t.repo, ['app', 'native'], WIN!)), ['app==1.0', 'lib==3.0', 'native==1.0', 'util==3.0', 'winonly==1.0']);
    assert.deepEqual(pins(await resolve(t.repo, ['native'], LINUX!)), ['native==0.9']);
    assert.deepEqual(pins(await resolve(t.repo, ['util; sys_platform == "win32"', 'tool'], LINUX!)), ['tool==1.0', 'util==2.0']);
  });

  it('explains a conflict with the requirements and who asked for them', async () => {
    await assert.rejects(resolve(t.repo, ['lib==3.0', 'tool'], LINUX!), (e: PyvetError) => {
      assert.equal(e.code, 'RESOLUTION_IMPOSSIBLE');
      assert.match(e.message, /lib 3\.0 depends on util>=3/);
      assert.match(e.message, /tool 1\.0 depends on util<3/);
      assert.match(e.message, /util: 4\.0rc1, 3\.0, 2\.0, 1\.0/);
      return true;
    });
    await assert.rejects(resolve(t.repo, ['util>=5'], LINUX!), (e: PyvetError) => {
      assert.equal(e.code, 'RESOLUTION_IMPOSSIBLE');
      assert.match(e.message, /no approved version of util on target cp311-manylinux_x86_64 satisfies util>=5/);
      return true;
    });
    await assert.rejects(resolve(t.repo, ['nothere'], LINUX!), /nothing approved for this target/);
    await assert.rejects(resolve(t.repo, ['not a requirement!'], LINUX!), (e: PyvetError) => e.code === 'REQUIREMENT_INVALID');
  });
});
