// A catalog locked by another process past the busy timeout is CATALOG_BUSY (503, exit 9: try
// again), not an INTERNAL error: the lock is a real SQLite write lock held on a real catalog.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { asPyvetError, exitCodeOf, httpStatusOf } from '../../src/errors.js';
import { makeRepo } from '../repository/support.js';

test('a write lock held elsewhere past the busy timeout is CATALOG_BUSY', async () => {
  const t = await makeRepo();
  const holder = new Database(join(t.dataDir, 'catalog.sqlite'));
  const waiter = new Database(join(t.dataDir, 'catalog.sqlite'), { timeout: 0 });
  try {
    holder.exec('begin immediate');
    let thrown: unknown;
    try {
      waiter.exec('begin immediate');
    } catch (err) {
      thrown = err;
    }
    assert.equal((thrown as { code?: string }).code, 'SQLITE_BUSY');
    const e = asPyvetError(thrown);
    assert.deepEqual([e.code, e.kind, httpStatusOf(thrown), exitCodeOf(thrown)], ['CATALOG_BUSY', 'unavailable', 503, 9]);
    assert.match(e.message, /another pyvet process held its write lock .*nothing was written, try again/);
    holder.exec('rollback');
  } finally {
    holder.close();
    waiter.close();
    await t.cleanup();
  }
});
