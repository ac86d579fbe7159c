// Real PyPI wheels (needs /opt/pypi, a local PEP 503 tree of ~840 real projects; skipped when
// absent): a few hundred are ingested and approved, then pip in a fresh venv installs requests
// and flask with all their dependencies from pyvet alone, and they import.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ingestPaths } from '../../src/repository/ingest.js';
import { approveFiles } from '../../src/repository/states.js';
import { tempDir } from '../helpers/paths.js';
import { clientAvailable, LOCAL_PYPI, localPypiAvailable, makeVenv } from '../helpers/python.js';
import { makeRepo, type TestRepo } from '../repository/support.js';
import { ADMIN, type ServeProcess, spawnServe } from './support.js';

const FILES = join(LOCAL_PYPI, 'files');
// The closure of requests and flask; the platform wheels are the ones this CPython 3.11 x86_64 takes.
const CLOSURE = /^(requests|flask|urllib3|idna|certifi|charset_normalizer|werkzeug|jinja2|markupsafe|itsdangerous|click|blinker)-/i;
const MAX_BYTES = 2 * 1024 * 1024;

function skipReason(): string | false {
  if (!localPypiAvailable()) {
    process.stderr.write(`\n!!! ${LOCAL_PYPI} is absent: the real-wheels suite is SKIPPED\n\n`);
    return `${LOCAL_PYPI} is absent`;
  }
  const venv = clientAvailable('venv');
  return venv === true ? false : venv;
}

/** ~250 real wheels: the closure, plus the first pure-Python wheels under 2 MB by name. */
function pickWheels(): string[] {
  const names = readdirSync(FILES).sort();
  const closure = names.filter((n) => CLOSURE.test(n) && (n.endsWith('py3-none-any.whl') || /cp311-cp311-manylinux.*x86_64\.whl$/.test(n)));
  const pure = names.filter((n) => n.endsWith('-py3-none-any.whl') && !CLOSURE.test(n) && statSync(join(FILES, n)).size < MAX_BYTES);
  return [...closure, ...pure.slice(0, 250 - closure.length)].map((n) => join(FILES, n));
}

describe('real wheels from /opt/pypi', { skip: skipReason() }, () => {
  let t: TestRepo;
  let s: ServeProcess;
  const tmp = tempDir('pyvet-real-');

  before(async () => {
    t = await makeRepo();
  });
  after(async () => {
    await s?.stop();
    await t?.cleanup();
    tmp.cleanup();
  });

  it('ingests and approves a few hundred real wheels', async () => {
    const wheels = pickWheels();
    const r = await ingestPaths(t.repo, wheels, { actor: ADMIN, origin: 'local' });
    assert.deepEqual(r.failed, [], 'every real wheel is accepted');
    assert.equal(r.added.length, wheels.length);
    assert.ok(r.added.length >= 200, `${r.added.length} wheels`);
    const approved = await approveFiles(t.repo, 'all waiting', ADMIN, 'real-wheel suite');
    assert.equal(approved.changed.length, wheels.length);
    s = await spawnServe(t.dataDir);
  });

  it('pip installs requests and flask with their dependencies from pyvet, and they import', async () => {
    const venv = makeVenv(join(tmp.path, 'venv'));
    const r = venv.pipResult(['install', '--no-cache-dir', '--only-binary', ':all:', '--index-url', `${s.url}/simple/`, 'requests', 'flask']);
    assert.equal(r.status, 0, r.stderr);
    const out = venv.run(['-c', 'import requests, flask, urllib3, jinja2, markupsafe; print(requests.__version__, flask.__name__)']);
    assert.match(out, /^\d+\.\d+(\.\d+)? flask$/m);
    const log = await s.accessLog();
    const downloaded = log.filter((l) => l.url.endsWith('.whl')).map((l) => l.url.split('/').pop()!);
    assert.equal(downloaded.length, 12, `the closure, each wheel once:\n${downloaded.join('\n')}`);
    assert.ok(downloaded.every((f) => CLOSURE.test(f)));
    assert.ok(log.every((l) => l.status < 400 || l.url.startsWith('/simple/')), 'no file request failed');
  });
});
