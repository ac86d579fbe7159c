// A policy stored under older, looser rules (here a licence expression in the allow list, which
// validation now refuses) stops vetting, closed, with a message saying what to do; a file is
// then refused rather than vetted by a policy that does not mean what the operator thinks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyvetError } from '../../src/errors.js';
import { ingestFile } from '../../src/repository/ingest.js';
import { loadPolicy } from '../../src/vetting/policy.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { tempDir } from '../helpers/paths.js';
import { makeRepo } from '../repository/support.js';

test('a stored policy that no longer validates stops vetting with what to do', async () => {
  const t = await makeRepo();
  const tmp = tempDir('pyvet-stored-policy-');
  try {
    const text = 'licenses:\n  allow: ["MIT OR Apache-2.0"]\n';
    const stored = { text, format: 'yaml', name: 'old-policy.yaml', setAt: '2026-01-01T00:00:00Z', setBy: 'cli:alice' };
    await t.repo.catalog.settings.set('vetting.policy', JSON.stringify(stored));
    const said = (e: unknown) =>
      e instanceof PyvetError &&
      /the policy stored in the catalog \(set from old-policy\.yaml\) no longer passes validation: .*expression.*fix the file and run pyvet policy set/.test(e.message);
    await assert.rejects(loadPolicy(t.repo), said);
    const w = buildWheel({ name: 'stopped', version: '1.0' });
    await assert.rejects(ingestFile(t.repo, writeArchive(tmp.path, w.filename, w.bytes), { actor: { name: 'a', role: 'admin' }, origin: 'local' }), said);
    assert.equal((await t.repo.catalog.files.list()).length, 0, 'nothing stored');
  } finally {
    tmp.cleanup();
    await t.cleanup();
  }
});
