// A CVE can be the alias of records about different projects (CVE-2023-39631: PYSEC-2023-162
// for langchain, PYSEC-2023-163 for numexpr); `waive FILE CVE-…` means the record that affects
// that file, not the first one found. The real CLI on a real repository.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { initRepository } from '../../src/repository/open.js';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const record = (id: string, project: string) => ({
  id,
  modified: '2026-03-01T00:00:00Z',
  aliases: ['CVE-2099-12345'],
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [{ package: { ecosystem: 'PyPI', name: project }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '9.0' }] }] }],
});

describe('waive by an alias several records share', () => {
  const tmp = tempDir();
  const data = join(tmp.path, 'data');
  before(async () => {
    await initRepository(data);
    const w = buildWheel({ name: 'second-pkg', version: '1.0', metadataLines: ['License: MIT'] });
    assert.equal(runCli(data, ['add', writeArchive(tmp.path, w.filename, w.bytes)]).status, 0);
    const feed = join(tmp.path, 'feed.jsonl');
    // The record for another project comes first.
    writeFileSync(feed, `${JSON.stringify(record('PYSEC-2099-1', 'first-pkg'))}\n${JSON.stringify(record('PYSEC-2099-2', 'second-pkg'))}\n`);
    assert.equal(runCli(data, ['advisories', 'import', feed]).status, 0);
  });
  after(() => tmp.cleanup());

  test('the record that affects the file is the one waived', () => {
    const r = runCli(data, ['--json', 'waive', 'second-pkg==1.0', 'CVE-2099-12345', '--reason', 'not reachable']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const g = JSON.parse(r.stdout) as { waivers: { advisoryId: string }[] };
    assert.deepEqual(g.waivers.map((w) => w.advisoryId), ['PYSEC-2099-2']);
  });
});
