// --created: ISO 8601 dates and times in UTC or with an offset, real calendar dates, years
// 1970-9999, and never before the base of a patch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { createRelease, patchRelease } from '../../src/releases/service.js';
import { runCliAsync } from '../helpers/cli.js';
import { repoWith } from '../resolve/support.js';
import { ADMIN } from '../server/support.js';

const LINUX = 'cp311-manylinux_x86_64';
const URL = 'https://p.example/simple/';

describe('release --created', () => {
  let t: Awaited<ReturnType<typeof repoWith>>;
  let n = 0;
  before(async () => {
    t = await repoWith([{ name: 'alpha', version: '1.0' }, { name: 'alpha', version: '1.1' }]);
  });
  after(() => t.cleanup());
  const create = (created: string) => createRelease(t.repo, { name: `c${++n}`, targets: [LINUX], requirements: ['alpha'], indexUrl: URL, created }, ADMIN);

  it('takes ISO 8601 dates and times with an offset, in UTC', async () => {
    assert.equal((await create('2026-11-29')).createdAt, '2026-11-29T00:00:00Z');
    assert.equal((await create('2026-11-29T08:00:00.5+02:00')).createdAt, '2026-11-29T06:00:00Z');
    assert.equal((await create('2024-02-29T23:30Z')).createdAt, '2024-02-29T23:30:00Z');
    assert.equal((await create('1970-01-01T00:00:00Z')).createdAt, '1970-01-01T00:00:00Z');
  });

  it('refuses a time ahead of the clock (it would stay the latest release for good), a day of skew aside', async () => {
    const ahead = (hours: number) => `${new Date(Date.now() + hours * 3600_000).toISOString().slice(0, 19)}Z`;
    for (const bad of ['9999-12-31T23:59:59Z', ahead(26)]) {
      await assert.rejects(create(bad), (e: PyvetError) => e.code === 'RELEASE_CREATED_INVALID' && /is in the future/.test(e.message));
    }
    const soon = ahead(2);
    assert.equal((await create(soon)).createdAt, soon, 'within the skew allowed');
  });

  it('refuses what is not one, naming it', async () => {
    for (const bad of ['2026-02-30', '2025-02-29', '1', 'Nov 29 2026', '99999-01-01', '2026-11-29T08:00:00', '1969-12-31', '2026-13-01', '2026-11-29T24:00Z', '0000-01-01', '9999-12-31T23:00-05:00']) {
      await assert.rejects(create(bad), (e: PyvetError) => {
        assert.equal(e.code, 'RELEASE_CREATED_INVALID', bad);
        assert.equal(e.kind, 'invalid');
        assert.ok(e.message.includes(`'${bad}'`), e.message);
        return true;
      });
    }
  });

  it('a patch cannot predate its base', async () => {
    await createRelease(t.repo, { name: 'base', targets: [LINUX], requirements: ['alpha==1.0'], indexUrl: URL, created: '2026-11-29T10:00:00Z' }, ADMIN);
    await assert.rejects(patchRelease(t.repo, 'base', { upgrades: ['alpha==1.1'], created: '2026-11-28T10:00:00Z' }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'RELEASE_CREATED_INVALID');
      assert.match(e.message, /earlier than the base base \(created 2026-11-29T10:00:00Z\)/);
      return true;
    });
    assert.equal((await patchRelease(t.repo, 'base', { upgrades: ['alpha==1.1'], created: '2026-11-29T10:00:00Z' }, ADMIN)).name, 'base.post1');
  });

  it('the CLI exits 2', async () => {
    const r = await runCliAsync(t.dataDir, ['release', 'create', 'cli', 'alpha', '-t', LINUX, '--index-url', URL, '--created', '2026-02-30']);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /RELEASE_CREATED_INVALID/);
  });
});
