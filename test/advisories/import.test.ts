// Importing OSV data from every supported source, re-import semantics, bad sources, and the
// bundled snapshot — against a real catalog, with URLs served by a real loopback HTTP server.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { ensureBundledAdvisories, importAdvisories } from '../../src/advisories/import.js';
import { PyvetError } from '../../src/errors.js';
import { spawnCli } from '../helpers/cli.js';
import { deflateBomb, zerosCrc32 } from '../helpers/archives.js';
import { fixture, tempDir } from '../helpers/paths.js';
import { startStaticServer, type StaticServer } from '../helpers/static-server.js';
import { openRepository } from '../../src/repository/index.js';
import { makeRepo, type TestRepo } from '../repository/support.js';

const actor = { name: 'cli:test', role: 'admin' as const };
const lines = readFileSync(fixture('osv', 'tricky.jsonl'), 'utf8').trim().split('\n');
const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);

let tmp: { path: string; cleanup: () => void };
let server: StaticServer;

function zipOf(dir: string, out: string): void {
  // A flat <ID>.json zip like osv.dev's all.zip, written by Python's zipfile.
  execFileSync('python3', [
    '-c',
    'import sys,zipfile,os\nwith zipfile.ZipFile(sys.argv[2],"w",zipfile.ZIP_DEFLATED) as z:\n for n in sorted(os.listdir(sys.argv[1])): z.write(os.path.join(sys.argv[1],n),n)',
    dir,
    out,
  ]);
}

before(async () => {
  tmp = tempDir();
  const dir = join(tmp.path, 'osv');
  mkdirSync(dir);
  for (const r of records) writeFileSync(join(dir, `${r.id}.json`), JSON.stringify(r, null, 2));
  writeFileSync(join(dir, 'README.txt'), 'not a record');
  zipOf(dir, join(tmp.path, 'all.zip'));
  writeFileSync(join(tmp.path, 'tricky.jsonl.gz'), gzipSync(`${lines.join('\n')}\n`));
  server = await startStaticServer(tmp.path);
});

after(async () => {
  await server.close();
  tmp.cleanup();
});

async function withRepo(fn: (t: TestRepo) => Promise<void>): Promise<void> {
  const t = await makeRepo();
  try {
    await fn(t);
  } finally {
    await t.cleanup();
  }
}

describe('sources', () => {
  for (const [name, source] of [
    ['a directory of *.json', () => join(tmp.path, 'osv')],
    ['an all.zip', () => join(tmp.path, 'all.zip')],
    ['gzipped JSON lines', () => join(tmp.path, 'tricky.jsonl.gz')],
    ['plain JSON lines', () => fixture('osv', 'tricky.jsonl')],
    ['an http URL of a zip', () => `${server.url}/all.zip`],
    ['a file URL of gzipped JSON lines', () => pathToFileURL(join(tmp.path, 'tricky.jsonl.gz')).toString()],
  ] as const) {
    test(name, () =>
      withRepo(async ({ repo }) => {
        const r = await importAdvisories(repo, source(), actor);
        assert.equal(r.read, 12);
        assert.equal(r.added, 12);
        assert.equal(r.withdrawn, 1);
        assert.equal(r.skipped, 0, r.skippedReasons.join('; '));
        assert.equal(await repo.catalog.advisories.count(), 12);
        const a = await repo.catalog.advisories.find('CVE-2019-10906');
        assert.equal(a, undefined);
        const jw = await repo.catalog.advisories.get('PYSEC-2020-341');
        assert.deepEqual(
          jw?.affected.map((p) => p.package),
          ['jw-util'],
        );
        const audit = (await repo.catalog.audit.list()).filter((e) => e.action === 'advisories.import');
        assert.equal(audit.length, 1);
        assert.equal(audit[0]!.details.added, 12);
      }),
    );
  }
});

describe('re-import', () => {
  test('unchanged, updated by a later modified time, withdrawn stops matching', () =>
    withRepo(async ({ repo }) => {
      await importAdvisories(repo, fixture('osv', 'tricky.jsonl'), actor);
      const again = await importAdvisories(repo, fixture('osv', 'tricky.jsonl'), actor);
      assert.deepEqual([again.added, again.updated, again.unchanged], [0, 0, 12]);

      const searchor = records.find((r) => r.id === 'PYSEC-2023-262')!;
      const newer = { ...searchor, modified: '2030-01-01T00:00:00Z', summary: 'updated summary' };
      const withdrawn = { ...newer, id: 'PYSEC-2023-262', withdrawn: '2030-01-02T00:00:00Z', modified: '2030-01-02T00:00:00Z' };
      const older = { ...searchor, modified: '2000-01-01T00:00:00Z', summary: 'stale' };
      const file = join(tmp.path, 'changes.jsonl');
      writeFileSync(file, `${JSON.stringify(newer)}\n`);
      const r1 = await importAdvisories(repo, file, actor);
      assert.deepEqual([r1.added, r1.updated, r1.unchanged, r1.withdrawn], [0, 1, 0, 0]);
      assert.equal((await repo.catalog.advisories.get('PYSEC-2023-262'))?.summary, 'updated summary');

      writeFileSync(file, `${JSON.stringify(older)}\n`);
      const r2 = await importAdvisories(repo, file, actor);
      assert.deepEqual([r2.updated, r2.unchanged], [0, 1], 'an older record never replaces a newer one');

      writeFileSync(file, `${JSON.stringify(withdrawn)}\n`);
      const r3 = await importAdvisories(repo, file, actor);
      assert.deepEqual([r3.updated, r3.withdrawn], [1, 1]);
      assert.equal((await repo.catalog.advisories.list({ package: 'searchor' })).length, 0);
      assert.equal((await repo.catalog.advisories.list({ package: 'searchor', includeWithdrawn: true })).length, 1);
    }));
});

describe('bad sources change nothing', () => {
  test('only an admin imports', () =>
    withRepo(async ({ repo }) => {
      await assert.rejects(importAdvisories(repo, fixture('osv', 'tricky.jsonl'), { name: 'ci', role: 'approver' }), { code: 'FORBIDDEN' });
      assert.equal(await repo.catalog.advisories.count(), 0);
    }));

  test('a missing path', () =>
    withRepo(async ({ repo }) => {
      await assert.rejects(importAdvisories(repo, join(tmp.path, 'nope.zip'), actor), { code: 'ADVISORY_SOURCE_NOT_FOUND' });
    }));

  test('a file in which nothing is an OSV record (an HTML error page) fails, and is not audited as an import', () =>
    withRepo(async ({ repo }) => {
      const page = join(tmp.path, 'error.html');
      writeFileSync(page, '<html><body>502 Bad Gateway</body></html>\n');
      await assert.rejects(importAdvisories(repo, page, actor), (err: unknown) => {
        assert.ok(err instanceof PyvetError && err.code === 'ADVISORY_SOURCE_INVALID', String(err));
        assert.match(err.message, /no OSV record could be read \(1 item\(s\) skipped; first: line 1: not JSON/);
        return true;
      });
      assert.equal((await repo.catalog.audit.list()).filter((e) => e.action === 'advisories.import').length, 0);
    }));

  test('an empty directory', () =>
    withRepo(async ({ repo }) => {
      const empty = join(tmp.path, 'empty');
      mkdirSync(empty, { recursive: true });
      await assert.rejects(importAdvisories(repo, empty, actor), { code: 'ADVISORY_SOURCE_INVALID' });
      assert.equal((await repo.catalog.audit.list()).filter((e) => e.action === 'advisories.import').length, 0);
    }));

  test('a file that claims to be a zip but is not', () =>
    withRepo(async ({ repo }) => {
      const bad = join(tmp.path, 'bad.zip');
      writeFileSync(bad, Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(100, 7)]));
      await assert.rejects(importAdvisories(repo, bad, actor), (err: unknown) => {
        assert.ok(err instanceof PyvetError);
        assert.equal(err.code, 'ADVISORY_SOURCE_INVALID');
        return true;
      });
      assert.equal(await repo.catalog.advisories.count(), 0);
    }));

  test('a zip member larger than a record may be is skipped unread (zip bombs)', () =>
    withRepo(async ({ repo }) => {
      const bomb = join(tmp.path, 'bomb.zip');
      execFileSync('python3', [
        '-c',
        'import sys,zipfile\nwith zipfile.ZipFile(sys.argv[1],"w",zipfile.ZIP_DEFLATED) as z:\n z.writestr("BIG-1.json", "{" + " " * (17 * 1024 * 1024) + "}")\n z.writestr("PYSEC-2024-1.json", sys.argv[2])',
        bomb,
        lines.find((l) => l.includes('"PYSEC-2024-1"'))!,
      ]);
      const r = await importAdvisories(repo, bomb, actor);
      assert.equal(r.added, 1);
      assert.deepEqual(r.skippedReasons, ['BIG-1.json: larger than 16777216 bytes']);
    }));

  test('an HTTP error', () =>
    withRepo(async ({ repo }) => {
      await assert.rejects(importAdvisories(repo, `${server.url}/missing.zip`, actor), (err: unknown) => {
        assert.ok(err instanceof PyvetError && err.kind === 'upstream', String(err));
        return true;
      });
      assert.equal(await repo.catalog.advisories.count(), 0);
    }));

  test('broken lines and records are skipped with reasons, the rest imported', () =>
    withRepo(async ({ repo }) => {
      const file = join(tmp.path, 'mixed.jsonl');
      writeFileSync(
        file,
        [lines[0], '{not json', JSON.stringify({ id: 'X-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'npm', name: 'left-pad' } }] }), lines[1]].join('\n'),
      );
      const r = await importAdvisories(repo, file, actor);
      assert.equal(r.added, 2);
      assert.equal(r.skipped, 2);
      assert.match(r.skippedReasons[0]!, /^line 2: not JSON/);
      assert.match(r.skippedReasons[1]!, /X-1: no PyPI package/);
    }));
});

test('a new repository starts from the bundled PyPA snapshot, once', () =>
  withRepo(async ({ repo }) => {
    const r = await ensureBundledAdvisories(repo, actor);
    assert.equal(r?.read, 2661);
    // PYSEC-2022-15 (withdrawn) names only GIT ranges: nothing in it can match a PyPI version.
    assert.equal(r?.added, 2660);
    assert.deepEqual(r?.skippedReasons, ['line 810: PYSEC-2022-15: no PyPI package with ECOSYSTEM ranges or versions']);
    assert.equal(await ensureBundledAdvisories(repo, actor), null);
    assert.equal((await repo.catalog.advisories.list({ package: 'jinja2' })).length, 5);
  }));

test('the bundled snapshot is imported once when asked concurrently, and never again by another connection', () =>
  withRepo(async ({ repo, dataDir }) => {
    // A first mirror vets several files at once.
    const other = await openRepository({ dataDir, logLevel: 'warn' });
    try {
      const reports = await Promise.all([ensureBundledAdvisories(repo, actor), ensureBundledAdvisories(repo, actor)]);
      // Both callers wait for the one import.
      assert.equal(reports[0]?.added, 2660);
      assert.equal(reports[1], reports[0]);
      const imports = (await repo.catalog.audit.list()).filter((e) => e.action === 'advisories.import');
      assert.equal(imports.length, 1);
      assert.equal(await ensureBundledAdvisories(other, actor), null);
    } finally {
      await other.close();
    }
  }));

test('a JSON-lines line longer than 16 MiB is skipped as it streams past, the rest imported', () =>
  withRepo(async ({ repo }) => {
    // 600 MB of one line in 600 KB of gzip (a member of its own): readline held it whole, past
    // the longest string V8 makes, and the import crashed.
    const size = 600 * 1024 * 1024;
    const first = Buffer.from(`${lines[0]}\n`);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(zerosCrc32(size, first) >>> 0, 0);
    trailer.writeUInt32LE((first.length + size) >>> 0, 4);
    const member = Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflateBomb(size, first), trailer]);
    const path = join(tmp.path, 'long-line.jsonl.gz');
    writeFileSync(path, Buffer.concat([member, gzipSync(`\n${lines[1]}\n`)]));
    const r = await importAdvisories(repo, path, actor);
    assert.equal(r.added, 2);
    assert.deepEqual(r.skippedReasons, [`line 2: longer than ${16 * 1024 * 1024} bytes`]);
  }));

test("a repository whose first import was its own advisories still gets the bundled snapshot", () =>
  withRepo(async ({ repo }) => {
    await importAdvisories(repo, fixture('osv', 'tricky.jsonl'), actor);
    const own = await repo.catalog.advisories.count();
    const r = await ensureBundledAdvisories(repo, actor);
    assert.ok(r && r.read === 2661, 'the bundled snapshot was imported');
    assert.ok((await repo.catalog.advisories.count()) > own + 2000);
    assert.equal(await ensureBundledAdvisories(repo, actor), null);
  }));

test('pyvet advisories sync fetches [advisories] sync_url (here a loopback all.zip) and rescans', () =>
  withRepo(async ({ dataDir }) => {
    // Asynchronously: the loopback server lives in this process and must keep answering.
    const child = spawnCli(dataDir, ['--json', 'advisories', 'sync'], { PYVET_ADVISORIES__SYNC_URL: `${server.url}/all.zip` });
    const r = { stdout: '', stderr: '', status: -1 };
    child.stdout!.on('data', (d) => (r.stdout += d));
    child.stderr!.on('data', (d) => (r.stderr += d));
    r.status = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { import: { added: number; source: string }; rescan: { scanned: number } };
    assert.equal(out.import.added, 12);
    assert.equal(out.import.source, `${server.url}/all.zip`);
    assert.equal(out.rescan.scanned, 0);
    assert.ok(server.log.includes('/all.zip'));
  }));
