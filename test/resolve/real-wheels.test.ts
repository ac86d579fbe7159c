// Closure on real wheels from /opt/pypi (a local PEP 503 tree of real PyPI projects; skipped when
// absent): pip's own resolver picks a closed set for a dozen popular projects, pyvet ingests
// those ~130 wheels, and closure must agree that the set is closed. Then one dependency is
// rejected, and the report must name it and exactly the projects that depend on it, as read
// from the same wheels' metadata by packaging in Python.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { approveFiles, rejectFiles } from '../../src/repository/states.js';
import { checkClosure } from '../../src/resolve/closure.js';
import { resolve } from '../../src/resolve/resolver.js';
import { canonicalizeName } from '../../src/standards/names.js';
import { getTargets } from '../../src/resolve/targets.js';
import { tempDir } from '../helpers/paths.js';
import { cleanPipEnv, clientAvailable, LOCAL_PYPI, localPypiAvailable, makeVenv } from '../helpers/python.js';
import { makeRepo, type TestRepo } from '../repository/support.js';
import { ADMIN } from '../server/support.js';
import { ingestFile } from '../../src/repository/ingest.js';

const SEEDS = ['flask', 'requests', 'sphinx', 'fastapi', 'sqlalchemy', 'pytest', 'black', 'httpx', 'aiohttp', 'jupyterlab'];
const REMOVED = 'markupsafe';
const venvOk = clientAvailable('venv');
const skip = !localPypiAvailable() ? `${LOCAL_PYPI} is absent: real-wheel closure test SKIPPED` : venvOk === true ? false : venvOk;

interface Report {
  install: { metadata: { name: string; version: string; requires_dist?: string[] }; download_info: { url: string } }[];
}

describe('closure on real wheels from /opt/pypi', { skip }, () => {
  let t: TestRepo;
  let report: Report;
  const tmp = tempDir('pyvet-real-');
  const [LINUX] = getTargets({ targets: [] }, ['cp311-manylinux_x86_64']);

  before(async () => {
    const venv = makeVenv(join(tmp.path, 'venv'));
    const out = join(tmp.path, 'report.json');
    venv.pip(['install', '--dry-run', '--ignore-installed', '--no-index', '--find-links', join(LOCAL_PYPI, 'files'), '--only-binary', ':all:', '--report', out, ...SEEDS]);
    report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    t = await makeRepo();
    for (const item of report.install) {
      const path = decodeURIComponent(new URL(item.download_info.url).pathname);
      const { file } = await ingestFile(t.repo, path, { actor: ADMIN, origin: 'local' });
      await approveFiles(t.repo, file.filename, ADMIN, 'test');
    }
  });
  after(async () => {
    await t?.cleanup();
    tmp.cleanup();
  });

  it('finds the set pip resolved closed', async () => {
    assert.ok(report.install.length >= 100, `${report.install.length} wheels`);
    const r = (await checkClosure(t.repo, [LINUX!])).targets[0]!;
    assert.equal(r.installable.length, report.install.length);
    assert.deepEqual([...r.missing, ...r.unsatisfiable], []);
    assert.deepEqual(r.requiresPythonViolations, []);
    assert.equal(r.closed, true);
  });

  it('resolves the requested projects to the same set pip chose', async () => {
    const mine = await resolve(t.repo, SEEDS, LINUX!);
    const pips = Object.fromEntries(report.install.map((i) => [canonicalizeName(i.metadata.name), i.metadata.version]));
    assert.deepEqual(Object.fromEntries(mine.pins.map((p) => [p.project, p.version])), pips);
  });

  it('names a removed dependency and every project that needs it', async () => {
    // The oracle: packaging reads the same metadata (pip's report) with this machine's markers.
    const oracle = spawnSync(
      'python3',
      [
        '-c',
        `import json,sys
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name as c
r=json.load(open(sys.argv[1]))
out=set()
for i in r['install']:
    for d in i['metadata'].get('requires_dist') or []:
        q=Requirement(d)
        if c(q.name)==sys.argv[2] and (q.marker is None or q.marker.evaluate({'extra': ''})):
            out.add(c(i['metadata']['name']))
print(json.dumps(sorted(out)))`,
        join(tmp.path, 'report.json'),
        REMOVED,
      ],
      { encoding: 'utf8', env: cleanPipEnv() },
    );
    assert.equal(oracle.status, 0, oracle.stderr);
    const dependants = JSON.parse(oracle.stdout) as string[];
    assert.ok(dependants.length >= 2, oracle.stdout);

    // Every file of it by name: a bare project name spares approved files.
    const files = (await t.repo.catalog.files.list({ project: REMOVED })).map((f) => f.filename);
    await rejectFiles(t.repo, files, ADMIN, 'test: remove a dependency');
    const r = (await checkClosure(t.repo, [LINUX!])).targets[0]!;
    assert.equal(r.closed, false);
    assert.deepEqual(r.unsatisfiable, []);
    assert.deepEqual([...new Set(r.missing.map((m) => m.project))], [REMOVED]);
    assert.deepEqual([...new Set(r.missing.flatMap((m) => m.neededBy.map((n) => n.project)))].sort(), dependants);
    for (const m of r.missing) {
      assert.equal(m.chain[m.chain.length - 1], m.neededBy[0]!.project);
      assert.ok(SEEDS.includes(m.chain[0]!), `chain ${m.chain.join(' > ')} starts at a requested project`);
    }
  });
});
