// `pyvet inspect`: the ingest checks on demand, through the real CLI, storing nothing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildWheel, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const tmp = tempDir();
after(() => tmp.cleanup());

test('pyvet inspect reports a sound wheel and refuses a lying one, storing nothing', () => {
  const good = buildWheel({ name: 'inspect-me', version: '1.2', metadataLines: ['Requires-Dist: six>=1.0', 'License: MIT'] });
  const bad = buildWheel({ name: 'lying', version: '1.0', record: (rows) => rows.map((r) => (r[0]!.endsWith('__init__.py') ? [r[0]!, `sha256=${'A'.repeat(43)}`, r[2]!] : r)) });
  const goodPath = writeArchive(tmp.path, good.filename, good.bytes);
  const badPath = writeArchive(tmp.path, bad.filename, bad.bytes);
  const data = join(tmp.path, 'data');
  const r = runCli(data, ['--json', 'inspect', goodPath, badPath]);
  assert.equal(r.status, 1, r.stderr);
  const [ok, refused] = JSON.parse(r.stdout) as [
    { report: { name: string; version: string; requiresDist: string[]; license: string; digests: { sha256: string } } },
    { error: { code: string } },
  ];
  assert.equal(ok.report.name, 'inspect-me');
  assert.equal(ok.report.version, '1.2');
  assert.deepEqual(ok.report.requiresDist, ['six>=1.0']);
  assert.equal(ok.report.license, 'MIT');
  assert.match(ok.report.digests.sha256, /^[0-9a-f]{64}$/);
  assert.equal(refused.error.code, 'WHEEL_RECORD_MISMATCH');
  assert.equal(existsSync(data), false, 'inspect must not create a repository');
});
