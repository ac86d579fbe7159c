// End to end with real pip in a fresh venv against a real pyvet server: pyvet resolve chooses what
// pip's own resolver chooses from the index (with backtracking, extras, markers, pre-releases); a
// release installs exactly its pinned files with `pip install --no-deps -r <release URL>`; one
// flipped byte in a served blob makes pip refuse and `release verify` name the file; releases are
// byte-for-byte reproducible, refuse what is not closed, not approved or blocked, and patch/diff.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { diffReleases } from '../../src/releases/diff.js';
import { createRelease, patchRelease, type ReleaseDetails } from '../../src/releases/service.js';
import { signingKey } from '../../src/releases/signing.js';
import { verifyRelease } from '../../src/releases/verify.js';
import { resolve } from '../../src/resolve/resolver.js';
import { getTargets } from '../../src/resolve/targets.js';
import { buildWheel, type WheelSpec, writeArchive } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { ROOT, tempDir } from '../helpers/paths.js';
import { clientAvailable, makeVenv, type Venv } from '../helpers/python.js';
import { makeRepo, type TestRepo } from '../repository/support.js';
import { ADMIN, addFiles, type ServeProcess, spawnServe } from '../server/support.js';

const missing = clientAvailable('venv');
const LINUX = 'cp311-manylinux_x86_64';
const CREATED = '2026-11-29T10:00:00Z';

interface Report {
  install: { metadata: { name: string; version: string }; download_info: { url: string } }[];
}

// A small world with a conflict to backtrack over, an extra, a Windows-only dependency,
// a pre-release and a project with a missing dependency.
const WORLD: WheelSpec[] = [
  w('pv-app', '1.0', ['Requires-Dist: pv-lib>=1', 'Requires-Dist: pv-util', 'Requires-Dist: pv-winonly; sys_platform == "win32"']),
  w('pv-lib', '1.0', ['Requires-Dist: pv-util<2']),
  w('pv-lib', '2.0', ['Requires-Dist: pv-util<3,>=2']),
  w('pv-lib', '3.0', ['Requires-Dist: pv-util>=3']),
  w('pv-util', '1.0'),
  w('pv-util', '2.0'),
  w('pv-util', '3.0'),
  w('pv-util', '4.0rc1'),
  w('pv-tool', '1.0', ['Requires-Dist: pv-util<3', 'License: MIT']),
  w('pv-fancy', '1.0', ['Provides-Extra: color', 'Requires-Dist: pv-colorlib>=1; extra == "color"']),
  w('pv-fancy', '2.0', ['Provides-Extra: color', 'Requires-Dist: pv-colorlib>=2; extra == "color"']),
  w('pv-colorlib', '1.5', ['License-Expression: Apache-2.0 OR MIT', 'Metadata-Version: 2.4']),
  w('pv-broken', '1.0', ['Requires-Dist: pv-nowhere>=1']),
  // Only ever downloaded by the tamper test (the server caches what it served).
  w('pv-victim', '1.0'),
];
const LATE = [w('pv-util', '2.1')];

function w(name: string, version: string, lines: string[] = []): WheelSpec {
  const meta = lines.filter((l) => !l.startsWith('Metadata-Version'));
  const mv = lines.find((l) => l.startsWith('Metadata-Version')) ?? 'Metadata-Version: 2.1';
  return { name, version, metadata: [mv, `Name: ${name}`, `Version: ${version}`, ...meta, '', ''].join('\n') };
}

/** Errors of each SBOM against the official CycloneDX 1.6 JSON schema; undefined without jsonschema. */
function schemaErrors(docs: string[]): string[][] | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'pyvet-cdx-'));
  try {
    const paths = docs.map((d, i) => {
      writeFileSync(join(dir, `${i}.json`), d);
      return join(dir, `${i}.json`);
    });
    const schemas = join(ROOT, 'node_modules', '@cyclonedx', 'cyclonedx-library', 'res', 'schema');
    const r = spawnSync('python3', [join(ROOT, 'test', 'releases', 'validate_cdx.py'), schemas, ...paths], { encoding: 'utf8' });
    if (r.status === 3) return undefined;
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[][];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function writeWheels(dir: string, specs: WheelSpec[]): string[] {
  mkdirSync(dir, { recursive: true });
  return specs.map((s) => {
    const { filename, bytes } = buildWheel(s);
    return writeArchive(dir, filename, bytes);
  });
}

describe('releases end to end with real pip', { skip: missing === true ? false : missing }, () => {
  // The server runs as `pyvet serve` in a child process: pip runs synchronously here.
  let s: TestRepo & ServeProcess;
  let venv: Venv;
  let r1: ReleaseDetails;
  const tmp = tempDir('pyvet-rel-');
  const wheels = writeWheels(join(tmp.path, 'wheels'), WORLD);
  const spec = () => ({
    name: 'r1',
    targets: [LINUX, 'cp312-zos'],
    requirements: ['pv-app', 'pv-tool', 'pv-fancy[color]'],
    indexUrl: `${s.url}/simple/`,
    created: CREATED,
  });

  before(async () => {
    const t = await makeRepo();
    s = Object.assign(t, await spawnServe(t.dataDir));
    await addFiles(s.repo, wheels, true);
    venv = makeVenv(join(tmp.path, 'venv'));
  });
  after(async () => {
    await s?.stop();
    await s?.cleanup();
    tmp.cleanup();
  });

  const pipDryRun = (reqs: string[]): Record<string, string> => {
    const out = join(tmp.path, `report-${Math.random().toString(36).slice(2)}.json`);
    venv.pip([
      'install',
      '--dry-run',
      '--ignore-installed',
      '--no-cache-dir',
      '--only-binary',
      ':all:',
      '--report',
      out,
      '--index-url',
      `${s.url}/simple/`,
      ...reqs,
    ]);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    return Object.fromEntries(report.install.map((i) => [i.metadata.name, i.metadata.version]).sort());
  };

  const pyvetResolve = async (reqs: string[]): Promise<Record<string, string>> => {
    const [target] = getTargets(s.repo.config, [LINUX]);
    const r = await resolve(s.repo, reqs, target!);
    return Object.fromEntries(r.pins.map((p) => [p.project, p.version]));
  };

  it('resolves like pip does from the pyvet index', async () => {
    const chosen: Record<string, string>[] = [];
    for (const reqs of [['pv-app', 'pv-tool'], ['pv-app'], ['pv-fancy[color]'], ['pv-util>=4.0rc1', 'pv-fancy'], ['pv-app', 'pv-tool', 'pv-fancy[color]']]) {
      const pip = pipDryRun(reqs);
      assert.deepEqual(await pyvetResolve(reqs), pip, reqs.join(' '));
      chosen.push(pip);
    }
    // The interesting one really backtracked: the newest pv-lib needs pv-util>=3, which pv-tool forbids.
    assert.equal(chosen[0]!['pv-lib'], '2.0');
  });

  it('publishes a release that pip installs exactly, file by file', async () => {
    r1 = await createRelease(s.repo, spec(), ADMIN);
    const pins = r1.pins.filter((p) => p.target === LINUX);
    assert.deepEqual(
      pins.map((p) => `${p.project}==${p.version}`),
      ['pv-app==1.0', 'pv-colorlib==1.5', 'pv-fancy==1.0', 'pv-lib==2.0', 'pv-tool==1.0', 'pv-util==2.0'],
    );
    const txt = await (await fetch(`${s.url}/releases/r1/${LINUX}.txt`)).text();
    assert.match(txt, /^#####\n#\n# pyvet release r1 for cp311-manylinux_x86_64\n/);
    assert.ok(txt.includes(`--index-url ${s.url}/simple/\n--trusted-host 127.0.0.1\n--require-hashes\n--only-binary :all:\n`), txt);
    assert.ok(txt.includes(`pv-util==2.0 --hash=sha256:${pins.find((p) => p.project === 'pv-util')!.sha256}\n`));

    const before = (await s.accessLog()).length;
    venv.pip(['install', '--no-deps', '--no-cache-dir', '-r', `${s.url}/releases/r1/${LINUX}.txt`]);
    const inspect = JSON.parse(venv.pip(['inspect'])) as { installed: { metadata: { name: string; version: string } }[] };
    const installed = Object.fromEntries(
      inspect.installed.filter((i) => i.metadata.name.startsWith('pv-')).map((i) => [i.metadata.name, i.metadata.version]),
    );
    assert.deepEqual(installed, Object.fromEntries(pins.map((p) => [p.project, p.version])));
    // pip downloaded exactly the pinned files: their URLs carry their sha256.
    const downloaded = (await s.accessLog())
      .slice(before)
      .filter((l) => l.url.startsWith('/files/') && l.status === 200)
      .map((l) => l.url.split('/')[4]!)
      .sort();
    assert.deepEqual(downloaded, pins.map((p) => p.sha256).sort());
  });

  it('verifies a served release, and names the file when a served blob is tampered with', async () => {
    const ok = await verifyRelease(`${s.url}/releases/r1/`, { fetchFiles: true });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    assert.equal(ok.signature, 'valid');
    assert.equal(ok.files.ok, 6);

    const rv = await createRelease(s.repo, { ...spec(), name: 'rv', targets: [LINUX], requirements: ['pv-victim'] }, ADMIN);
    const victim = rv.pins[0]!;
    const blob = s.repo.blobs.localPath(victim.sha256)!;
    const bytes = readFileSync(blob);
    bytes[bytes.length - 30] = bytes[bytes.length - 30]! ^ 0xff;
    writeFileSync(blob, bytes);
    const r = venv.pipResult(['install', '--no-deps', '--no-cache-dir', '-r', `${s.url}/releases/rv/${LINUX}.txt`]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /THESE PACKAGES DO NOT MATCH THE HASHES/);
    assert.ok(r.stderr.includes(victim.sha256), r.stderr);
    const v = await verifyRelease(`${s.url}/releases/rv/manifest.json`, { fetchFiles: true });
    assert.equal(v.ok, false);
    assert.equal(v.signature, 'valid');
    assert.deepEqual(v.files.mismatched.map((m) => m.filename), [victim.filename]);
  });

  it('verifies a copy offline and catches an edited requirements file', async () => {
    // Named as the release: verify holds the manifest's name to the directory's.
    const dir = join(tmp.path, 'r1');
    mkdirSync(dir, { recursive: true });
    for (const path of ['manifest.json', 'manifest.json.sig', `${LINUX}.txt`, `${LINUX}.cdx.json`, 'cp312-zos.txt', 'cp312-zos.cdx.json']) {
      writeFileSync(join(dir, path), Buffer.from(await (await fetch(`${s.url}/releases/r1/${path}`)).arrayBuffer()));
    }
    writeFileSync(join(tmp.path, 'signing-key.pub'), await (await fetch(`${s.url}/releases/signing-key.pub`)).text());
    const good = await verifyRelease(dir);
    assert.equal(good.ok, true, JSON.stringify(good));
    assert.equal(good.files.unavailable, 6);
    const txt = readFileSync(join(dir, `${LINUX}.txt`), 'utf8');
    writeFileSync(join(dir, `${LINUX}.txt`), txt.replace('pv-util==2.0', 'pv-util==3.0'));
    const bad = await verifyRelease(join(dir, 'manifest.json'));
    assert.equal(bad.ok, false);
    assert.deepEqual(bad.documents.filter((d) => !d.ok).map((d) => d.path), [`${LINUX}.txt`]);
    assert.ok(bad.pins.find((p) => p.target === LINUX)!.problems.some((p) => p.startsWith('pv-util: requirements file pins 3.0')));
    // A manifest signed by another key does not verify.
    const other = await makeRepo();
    try {
      signingKey(other.repo);
      const key = readFileSync(join(other.dataDir, 'keys', 'release-signing.pub'), 'utf8');
      writeFileSync(join(dir, `${LINUX}.txt`), txt);
      const foreign = await verifyRelease(dir, { publicKey: key });
      assert.equal(foreign.signature, 'invalid');
      assert.equal(foreign.ok, false);
    } finally {
      await other.cleanup();
    }
  });

  it('is byte-for-byte reproducible from the same inputs', async () => {
    const other = await makeRepo();
    try {
      await addFiles(other.repo, wheels, true);
      await createRelease(other.repo, spec(), ADMIN);
      for (const path of ['manifest.json', `${LINUX}.txt`, `${LINUX}.cdx.json`, 'cp312-zos.txt', 'cp312-zos.cdx.json']) {
        const a = await s.repo.catalog.releaseSets.getDocument('r1', path);
        const b = await other.repo.catalog.releaseSets.getDocument('r1', path);
        assert.equal(b!.content, a!.content, path);
      }
    } finally {
      await other.cleanup();
    }
  });

  it('writes a CycloneDX 1.6 SBOM with purls, hashes, licences and dependencies', async () => {
    const sbom = JSON.parse(await (await fetch(`${s.url}/releases/r1/${LINUX}.cdx.json`)).text());
    assert.equal(sbom.bomFormat, 'CycloneDX');
    assert.equal(sbom.specVersion, '1.6');
    assert.match(sbom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(sbom.metadata.timestamp, CREATED);
    const util = sbom.components.find((c: { name: string }) => c.name === 'pv-util');
    const pin = r1.pins.find((p) => p.project === 'pv-util' && p.target === LINUX)!;
    assert.equal(util.purl, `pkg:pypi/pv-util@2.0?file_name=${pin.filename}`);
    assert.deepEqual(util.hashes, [{ alg: 'SHA-256', content: pin.sha256 }]);
    const colorlib = sbom.components.find((c: { name: string }) => c.name === 'pv-colorlib');
    assert.deepEqual(colorlib.licenses, [{ expression: 'Apache-2.0 OR MIT' }]);
    const deps = sbom.dependencies.find((d: { ref: string }) => d.ref.startsWith('pkg:pypi/pv-app@'));
    assert.equal(deps.dependsOn.length, 2);
    const docs = await Promise.all([LINUX, 'cp312-zos'].map(async (t) => (await s.repo.catalog.releaseSets.getDocument('r1', `${t}.cdx.json`))!.content));
    const errors = schemaErrors(docs);
    if (errors) assert.deepEqual(errors, [[], []]);
    else process.stderr.write('python jsonschema is missing: SBOM schema validation SKIPPED\n');
  });

  it('refuses what is not resolvable, not approved, blocked, or already there', async () => {
    const base = { targets: [LINUX], indexUrl: `${s.url}/simple/`, created: CREATED };
    await assert.rejects(createRelease(s.repo, { ...base, name: 'x1', requirements: ['pv-broken'] }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'RELEASE_UNRESOLVABLE');
      assert.match(e.message, /pv-nowhere/);
      return true;
    });
    await assert.rejects(createRelease(s.repo, spec(), ADMIN), (e: PyvetError) => e.code === 'RELEASE_EXISTS');
    await assert.rejects(createRelease(s.repo, { ...base, name: '../x', requirements: ['pv-util'] }, ADMIN), (e: PyvetError) => e.code === 'RELEASE_NAME_INVALID');
    await assert.rejects(
      createRelease(s.repo, { ...base, name: 'x2', requirements: ['pv-util'] }, { name: 'reader', role: 'reader' }),
      (e: PyvetError) => e.kind === 'forbidden',
    );
    // A blocking finding on pv-colorlib: refused, naming it; waived, the SBOM says so.
    const colorlib = (await s.repo.catalog.files.list({ project: 'pv-colorlib' }))[0]!;
    const finding = { advisoryId: 'GHSA-test-0001', aliases: ['CVE-2026-0001'], summary: 'bad', score: 9.1, severity: 'critical' as const, fixed: ['1.6'] };
    await s.repo.catalog.vetting.putResult({ fileId: colorlib.id, verdict: 'hold', reasons: [], findings: [{ ...finding, blocking: true, waiverId: null }], license: null, gates: [], decidedAt: CREATED });
    await assert.rejects(createRelease(s.repo, { ...base, name: 'x3', requirements: ['pv-fancy[color]'] }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'RELEASE_REFUSED');
      assert.match(e.message, /pv_colorlib-1\.5-py3-none-any\.whl has a blocking finding GHSA-test-0001 \(score 9\.1\)/);
      return true;
    });
    const waiver = await s.repo.catalog.vetting.addWaiver({ fileId: colorlib.id, advisoryId: finding.advisoryId, reason: 'not reachable', expiresAt: '2999-01-01T00:00:00Z', grantedBy: 'cli:sec', grantedAt: CREATED });
    await s.repo.catalog.vetting.putResult({ fileId: colorlib.id, verdict: 'approve', reasons: [], findings: [{ ...finding, blocking: false, waiverId: waiver.id }], license: null, gates: [], decidedAt: CREATED });
    await createRelease(s.repo, { ...base, name: 'x4', requirements: ['pv-fancy[color]'] }, ADMIN);
    const sbom = JSON.parse((await s.repo.catalog.releaseSets.getDocument('x4', `${LINUX}.cdx.json`))!.content);
    assert.equal(sbom.vulnerabilities.length, 1);
    assert.equal(sbom.vulnerabilities[0].id, 'GHSA-test-0001');
    assert.equal(sbom.vulnerabilities[0].analysis.state, 'exploitable');
    assert.deepEqual(sbom.vulnerabilities[0].analysis.response, ['will_not_fix']);
    assert.match(sbom.vulnerabilities[0].analysis.detail, /not reachable/);
    const errors = schemaErrors([JSON.stringify(sbom)]);
    if (errors) assert.deepEqual(errors, [[]]);
    // An expired waiver blocks again.
    await s.repo.catalog.vetting.revokeWaiver(waiver.id, 'cli:sec', CREATED);
    await assert.rejects(createRelease(s.repo, { ...base, name: 'x5', requirements: ['pv-fancy[color]'] }, ADMIN), (e: PyvetError) => e.code === 'RELEASE_REFUSED');
    await s.repo.catalog.vetting.putResult({ fileId: colorlib.id, verdict: 'approve', reasons: [], findings: [], license: null, gates: [], decidedAt: CREATED });
  });

  it('patches a release, refusing an upgrade that breaks closure, and diffs them', async () => {
    await addFiles(s.repo, writeWheels(join(tmp.path, 'late'), LATE), true);
    const p = await patchRelease(s.repo, 'r1', { upgrades: ['pv-util==2.1'], created: CREATED }, ADMIN);
    assert.equal(p.name, 'r1.post1');
    assert.equal(p.base, 'r1');
    assert.equal(p.pins.find((x) => x.project === 'pv-util' && x.target === LINUX)!.version, '2.1');
    await assert.rejects(patchRelease(s.repo, 'r1', { upgrades: ['pv-util==3.0'] }, ADMIN), (e: PyvetError) => {
      assert.equal(e.code, 'RELEASE_REFUSED');
      assert.match(e.message, /pv-util<3,>=2 \(needed by pv-lib 2\.0; pinned 3\.0\)/);
      assert.match(e.message, /pv-util<3 \(needed by pv-tool 1\.0; pinned 3\.0\)/);
      return true;
    });
    await assert.rejects(patchRelease(s.repo, 'r1', { upgrades: ['pv-util==9.9'] }, ADMIN), /no approved file of pv-util 9\.9/);
    const diffs = await diffReleases(s.repo, 'r1', 'r1.post1');
    assert.equal(diffs.length, 2);
    for (const d of diffs) {
      assert.deepEqual(d.upgraded, [{ project: 'pv-util', from: '2.0', to: '2.1' }]);
      assert.equal(d.added.length + d.removed.length + d.downgraded.length + d.rehashed.length, 0);
      assert.equal(d.unchanged, 5);
    }
    const audit = await s.repo.catalog.audit.list();
    assert.deepEqual(
      audit.filter((a) => a.action === 'release.create').map((a) => a.subject),
      ['r1', 'rv', 'x4', 'r1.post1'],
    );
  });

  it('serves the list, documents and key at stable URLs', async () => {
    const list = (await (await fetch(`${s.url}/releases/?format=json`)).json()) as { releases: { name: string }[] };
    assert.deepEqual(list.releases.map((r) => r.name).sort(), ['r1', 'r1.post1', 'rv', 'x4']);
    const html = await (await fetch(`${s.url}/releases/`)).text();
    assert.match(html, /<a href="r1\/">r1<\/a>/);
    const key = await fetch(`${s.url}/releases/signing-key.pub`);
    assert.equal(key.status, 200);
    assert.equal(await key.text(), readFileSync(join(s.dataDir, 'keys', 'release-signing.pub'), 'utf8'));
    const sig = await fetch(`${s.url}/releases/r1/manifest.json.sig`);
    assert.match(await sig.text(), /^[A-Za-z0-9+/]{86}==\n$/);
    const etag = (await fetch(`${s.url}/releases/r1/${LINUX}.txt`)).headers.get('etag')!;
    assert.equal((await fetch(`${s.url}/releases/r1/${LINUX}.txt`, { headers: { 'if-none-match': etag } })).status, 304);
    const missingRelease = await fetch(`${s.url}/releases/nope/manifest.json`);
    assert.equal(missingRelease.status, 404);
    assert.equal(((await missingRelease.json()) as { error: { code: string } }).error.code, 'RELEASE_NOT_FOUND');
    assert.equal((await fetch(`${s.url}/releases/r1/other.txt`)).status, 404);
  });

  it('drives the same services from the CLI', () => {
    const closure = runCli(s.dataDir, ['--json', 'closure', '--target', LINUX]);
    assert.equal(closure.status, 1, closure.stderr);
    const report = JSON.parse(closure.stdout);
    assert.deepEqual(report.targets[0].missing.map((m: { requirement: string }) => m.requirement), ['pv-nowhere>=1']);
    const resolved = runCli(s.dataDir, ['--json', 'resolve', 'pv-app', 'pv-tool', '--target', LINUX]);
    assert.equal(resolved.status, 0, resolved.stderr);
    assert.deepEqual(
      JSON.parse(resolved.stdout).pins.map((p: { project: string; version: string }) => `${p.project}==${p.version}`),
      ['pv-app==1.0', 'pv-lib==2.0', 'pv-tool==1.0', 'pv-util==2.1'],
    );
    const list = runCli(s.dataDir, ['release', 'list']);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /r1\.post1/);
    const diff = runCli(s.dataDir, ['--json', 'release', 'diff', 'r1', 'r1.post1', '--target', LINUX]);
    assert.equal(diff.status, 0, diff.stderr);
    assert.deepEqual(JSON.parse(diff.stdout)[0].upgraded, [{ project: 'pv-util', from: '2.0', to: '2.1' }]);
    const created = runCli(s.dataDir, ['--json', 'release', 'create', 'r2', 'pv-app', '--target', LINUX, '--index-url', `${s.url}/simple/`]);
    assert.equal(created.status, 0, created.stderr);
    assert.deepEqual(
      JSON.parse(created.stdout).pins.map((p: { project: string }) => p.project),
      ['pv-app', 'pv-lib', 'pv-util'],
    );
    assert.doesNotMatch(created.stderr, /server\.base_url is unset/, 'the URL was given');
    // Without --index-url or server.base_url the URL is the configured listening address: said, since a release never changes.
    const guessed = runCli(s.dataDir, ['--json', 'release', 'create', 'r3', 'pv-app', '--target', LINUX]);
    assert.equal(guessed.status, 0, guessed.stderr);
    assert.equal(JSON.parse(guessed.stdout).indexUrl, 'http://127.0.0.1:8080/simple/');
    assert.match(guessed.stderr, /index URL http:\/\/127\.0\.0\.1:8080\/simple\/ comes from server\.host and server\.port \(server\.base_url is unset\)/);
    const shown = runCli(s.dataDir, ['release', 'show', 'r2']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, /cp311-manylinux_x86_64\.cdx\.json/);
    const again = runCli(s.dataDir, ['release', 'create', 'r2', 'pv-app', '--target', LINUX]);
    assert.equal(again.status, 5, again.stderr);
    assert.match(again.stderr, /RELEASE_EXISTS/);
    const verify = runCli(s.dataDir, ['release', 'verify', `${s.url}/releases/r1.post1/`, '--fetch-files']);
    assert.equal(verify.status, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /verified/);
  });
});
