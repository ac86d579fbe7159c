// File states through the services: the allowed transitions, a broad selector that never
// overturns a rejection, selectors resolved all before anything changes, and reject/yank of a
// file that published releases pin.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FileRecord } from '../../src/catalog/types.js';
import { PyvetError } from '../../src/errors.js';
import { approveFiles, rejectFiles, unyankFiles, yankFiles } from '../../src/repository/states.js';
import type { Actor } from '../../src/repository/types.js';
import { makeRepo, newFile, type TestRepo } from './support.js';

const alice: Actor = { name: 'alice', role: 'approver' };
const bob: Actor = { name: 'bob', role: 'approver' };
const code = (c: string) => (e: unknown) => e instanceof PyvetError && e.code === c;

describe('file states', () => {
  let t: TestRepo;
  before(async () => {
    t = await makeRepo();
  });
  after(() => t.cleanup());

  const add = (project: string, version: string, state: FileRecord['state'] = 'quarantined') =>
    t.repo.catalog.files.insert(newFile({ project, version, state }));
  const get = async (f: FileRecord) => (await t.repo.catalog.files.get(f.id))!;
  const audit = async () => (await t.repo.catalog.audit.list()).length;
  const lastEntry = async (subject: string) => (await t.repo.catalog.audit.list()).reverse().find((e) => e.subject === subject)!;

  it('a NAME or NAME==VERSION never approves a rejected file: it is skipped, saying how to overturn it', async () => {
    const w = await add('skipme', '1.0');
    const s = await add('skipme', '1.0');
    const other = await add('skipme', '2.0');
    await rejectFiles(t.repo, 'skipme==1.0', alice, 'malicious');
    for (const selector of ['skipme', 'skipme==1.0', 'SkipMe==1.0.0']) {
      const r = await approveFiles(t.repo, selector, bob, 'looks fine');
      assert.deepEqual(r.skipped.map((x) => x.file.filename).sort(), [w.filename, s.filename].sort(), selector);
      for (const x of r.skipped) {
        assert.match(x.reason, /rejected by alice \("malicious"\)/);
        assert.ok(x.reason.includes(`pyvet approve ${x.file.filename}`), x.reason);
      }
      assert.deepEqual(r.overturned, []);
    }
    assert.equal((await get(w)).state, 'rejected');
    assert.equal((await get(s)).state, 'rejected');
    assert.equal((await get(other)).state, 'approved', 'the rest of the project was approved');
    const all = await approveFiles(t.repo, 'all waiting', bob, 'queue');
    assert.ok(!all.changed.some((f) => f.project === 'skipme'));
  });

  it('naming the file exactly overturns a rejection, and says so in the result and the audit entry', async () => {
    const f = await add('overturn', '1.0');
    await rejectFiles(t.repo, f.filename, alice, 'malicious');
    const rejectedAt = (await get(f)).stateChangedAt;
    const r = await approveFiles(t.repo, f.filename, bob, 'false positive, ticket 7');
    assert.deepEqual(r.changed.map((x) => x.state), ['approved']);
    assert.deepEqual(r.overturned, [{ filename: f.filename, rejectedBy: 'alice', rejectedAt, rejectedReason: 'malicious' }]);
    const e = await lastEntry(f.filename);
    assert.equal(e.action, 'file.approve');
    assert.deepEqual([e.details.from, e.details.to, e.details.reason], ['rejected', 'approved', 'false positive, ticket 7']);
    assert.deepEqual(e.details.overturnedRejection, { by: 'alice', at: rejectedAt, reason: 'malicious' });
    // Named exactly and broadly at once: the exact name wins.
    const g = await add('overturn', '2.0');
    await rejectFiles(t.repo, g.filename, alice, 'no');
    const both = await approveFiles(t.repo, ['overturn', g.filename], bob, 'yes');
    assert.deepEqual(both.overturned.map((o) => o.filename), [g.filename]);
  });

  it('reject NAME turns away what waits and leaves the served versions, saying how to withdraw them', async () => {
    const served = await add('keepserved', '1.0', 'approved');
    const fresh = await add('keepserved', '2.0');
    const r = await rejectFiles(t.repo, 'keepserved', alice, 'bad new upload');
    assert.deepEqual(r.changed.map((f) => f.id), [fresh.id]);
    assert.match(r.skipped.find((x) => x.file.id === served.id)?.reason ?? '', /approved and served: .*NAME==VERSION.*filename/);
    assert.equal((await get(served)).state, 'approved');
    // Naming the release withdraws it.
    assert.deepEqual((await rejectFiles(t.repo, 'keepserved==1.0', alice, 'withdrawn')).changed.map((f) => f.id), [served.id]);
  });

  it('allows exactly the transitions of the table; the target state already there is "unchanged"', async () => {
    const q = await add('table', '1.0');
    const a = await add('table', '2.0', 'approved');
    const rj = await add('table', '3.0', 'rejected');
    // approve: quarantined → approved; approved stays.
    assert.deepEqual((await approveFiles(t.repo, [q.filename, a.filename], bob, 'x')).unchanged.map((f) => f.id), [a.id]);
    // reject: an approved file may be withdrawn, and the audit entry says from where.
    const r = await rejectFiles(t.repo, [a.filename, rj.filename], bob, 'withdrawn');
    assert.deepEqual([r.changed.map((f) => f.id), r.unchanged.map((f) => f.id)], [[a.id], [rj.id]]);
    assert.equal((await lastEntry(a.filename)).details.from, 'approved');
    // yank: only an approved file; yanked stays; unyank of a file not yanked is unchanged.
    const y = await yankFiles(t.repo, q.filename, bob, 'broken');
    assert.deepEqual(y.changed.map((f) => [f.id, f.yanked]), [[q.id, true]]);
    assert.equal((await yankFiles(t.repo, q.filename, bob, 'broken')).unchanged.length, 1);
    assert.deepEqual((await unyankFiles(t.repo, [q.filename, a.filename], bob)).changed.map((f) => [f.id, f.yanked]), [[q.id, false]]);
  });

  it('refuses to yank a quarantined or rejected file named exactly; a broad selector skips them', async () => {
    const q = await add('never-served', '1.0');
    const rj = await add('never-served', '1.0', 'rejected');
    const ok = await add('never-served', '2.0', 'approved');
    for (const f of [q, rj]) {
      await assert.rejects(yankFiles(t.repo, f.filename, bob, 'x'), (e: unknown) => {
        assert.ok(e instanceof PyvetError);
        assert.deepEqual([e.code, e.kind], ['FILE_STATE_INVALID', 'conflict']);
        assert.match(e.message, new RegExp(`${f.filename}: it is ${f.state}, never served: only an approved file can be yanked`));
        return true;
      });
    }
    const broad = await yankFiles(t.repo, 'never-served', bob, 'x');
    assert.deepEqual(broad.changed.map((f) => f.id), [ok.id]);
    assert.deepEqual(broad.skipped.map((s) => s.file.id).sort(), [q.id, rj.id].sort());
    assert.equal((await get(q)).yanked, false);
  });

  it('resolves every selector first: one that matches nothing, or a refused file, changes nothing', async () => {
    const f = await add('atomic', '1.0');
    const y = await add('atomic', '2.0', 'approved');
    const q = await add('atomic', '3.0');
    const entries = await audit();
    await assert.rejects(approveFiles(t.repo, [f.filename, 'nonexist==9'], bob, 'r'), (e: unknown) => {
      assert.ok(e instanceof PyvetError && e.code === 'FILE_NOT_FOUND');
      assert.equal(e.message, 'no file matches "nonexist==9"; nothing was changed');
      return true;
    });
    await assert.rejects(rejectFiles(t.repo, [f.filename, 'nope', 'nada==1'], bob, 'r'), code('FILE_NOT_FOUND'));
    await assert.rejects(approveFiles(t.repo, [f.filename, 'bad selector!'], bob, 'r'), code('SELECTOR_INVALID'));
    await assert.rejects(yankFiles(t.repo, [y.filename, q.filename], bob, 'r'), code('FILE_STATE_INVALID'));
    assert.equal((await get(f)).state, 'quarantined');
    assert.equal((await get(y)).yanked, false);
    assert.equal(await audit(), entries, 'no audit entry either');
    // All found: all change, in one go.
    const r = await approveFiles(t.repo, [f.filename, 'atomic==3.0'], bob, 'r');
    assert.deepEqual(r.changed.map((x) => x.id), [f.id, q.id]);
  });

  it('reject and yank of a file that published releases pin succeed, naming the releases in the result and the audit entry', async () => {
    const pinned = await add('pinned', '1.0', 'approved');
    const free = await add('pinned', '2.0', 'approved');
    const pin = { project: 'pinned', version: '1.0', filename: pinned.filename, sha256: pinned.sha256, fileId: pinned.id };
    for (const name of ['2026.01.01', '2026.02.01']) {
      await t.repo.catalog.releaseSets.insert(
        { name, createdAt: `${name.replaceAll('.', '-')}T00:00:00Z`, createdBy: 'test', base: null, indexUrl: 'http://x/simple/', targets: ['a', 'b'], manifestSha256: '0'.repeat(64) },
        [],
        [
          { target: 'a', ...pin },
          { target: 'b', ...pin },
        ],
      );
    }
    const y = await yankFiles(t.repo, 'pinned', bob, 'broken build');
    assert.deepEqual(y.pinnedIn, { [pinned.filename]: ['2026.02.01', '2026.01.01'] });
    assert.deepEqual((await lastEntry(pinned.filename)).details.pinnedIn, ['2026.02.01', '2026.01.01']);
    assert.equal((await lastEntry(free.filename)).details.pinnedIn, undefined);
    const r = await rejectFiles(t.repo, pinned.filename, bob, 'compromised');
    assert.deepEqual(r.pinnedIn, { [pinned.filename]: ['2026.02.01', '2026.01.01'] });
    assert.equal((await get(pinned)).state, 'rejected');
    assert.deepEqual((await lastEntry(pinned.filename)).details.pinnedIn, ['2026.02.01', '2026.01.01']);
    assert.deepEqual((await approveFiles(t.repo, pinned.filename, bob, 'restored')).pinnedIn, {});
  });
});
