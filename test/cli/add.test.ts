// pyvet add through the real CLI: a batch with refusals exits 1 (a partial result, as mirror)
// whatever the refusals are, counting them per code; a missing path is one refusal among the
// rest; a folder without archives is invalid input; the summary has time and throughput.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildWheel, writeArchive as writeInto } from '../helpers/archives.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

/** writeArchive into a folder created as needed. */
function writeArchive(dir: string, filename: string, bytes: Buffer): string {
  mkdirSync(dir, { recursive: true });
  return writeInto(dir, filename, bytes);
}

interface BatchJson {
  added: { file: { filename: string } }[];
  failed: { path: string; code: string; kind: string }[];
  files: number;
  bytes: number;
  seconds: number;
}

describe('pyvet add', () => {
  const tmp = tempDir('pyvet-add-');
  const data = join(tmp.path, 'data');
  const good = join(tmp.path, 'good');
  const bad = join(tmp.path, 'bad');
  const empty = join(tmp.path, 'empty');
  const cli = (...args: string[]) => runCli(data, args);

  before(() => {
    for (const v of ['1.0', '2.0']) {
      const w = buildWheel({ name: 'addme', version: v });
      writeArchive(good, w.filename, w.bytes);
    }
    const valid = buildWheel({ name: 'broken', version: '1.0' });
    // Sorted first: a corrupt archive (integrity) and a RECORD that lies (integrity) would once
    // have picked the exit code; now no refusal does.
    writeArchive(join(bad, 'a'), valid.filename, valid.bytes.subarray(0, valid.bytes.length >> 1));
    const lies = buildWheel({
      name: 'broken',
      version: '2.0',
      record: (rows) => rows.map((r) => (r[0]!.endsWith('__init__.py') ? [r[0]!, `sha256=${'A'.repeat(43)}`, r[2]!] : r)),
    });
    writeArchive(join(bad, 'b'), lies.filename, lies.bytes);
    mkdirSync(join(empty, 'sub'), { recursive: true });
    writeFileSync(join(empty, 'README.txt'), 'no archives here\n');
    assert.equal(cli('init').status, 0);
  });
  after(() => tmp.cleanup());

  it('a missing path is one refusal among the rest: the other paths are ingested, exit 1', () => {
    const missing = join(tmp.path, 'nonexistent');
    const r = cli('--json', 'add', missing, good);
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as BatchJson;
    assert.deepEqual(out.failed.map((f) => [f.path, f.code, f.kind]), [[missing, 'PATH_NOT_FOUND', 'not_found']]);
    assert.deepEqual(out.added.map((a) => a.file.filename).sort(), ['addme-1.0-py3-none-any.whl', 'addme-2.0-py3-none-any.whl']);
    assert.equal(out.files, 2);
    // Every file's size, exactly: the sum was once taken across an await and lost updates.
    const sizes = readdirSync(good).reduce((sum, f) => sum + statSync(join(good, f)).size, 0);
    assert.equal(out.bytes, sizes);
    assert.ok(out.seconds > 0, JSON.stringify(out));
  });

  it('refusals of any kind exit 1, and the summary counts them per code with time and throughput', () => {
    const r = cli('add', bad, good, join(tmp.path, 'gone.whl'));
    assert.equal(r.status, 1, r.stderr);
    assert.match(
      r.stdout,
      /^0 added, 2 already present, 3 refused \(ARCHIVE_CORRUPT 1, PATH_NOT_FOUND 1, WHEEL_RECORD_MISMATCH 1\); 4 files, \d+\.\d MB in \d+\.\d s \(\d+\.\d files\/s, \d+\.\d MB\/s\)$/m,
    );
    assert.match(r.stderr, /refused .*gone\.whl \[PATH_NOT_FOUND\]/);
    // All present: a clean batch still exits 0.
    const again = cli('add', good);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /0 added, 2 already present, 0 refused; 2 files, .* files\/s, .* MB\/s\)/);
  });

  it('--approve says the file was approved, not that it waits for an approver', () => {
    const w = buildWheel({ name: 'approveme', version: '1.0' });
    const path = writeArchive(join(tmp.path, 'approve'), w.filename, w.bytes);
    const r = cli('add', '--approve', '--reason', 'reviewed by hand', path);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /added +approveme-1\.0-py3-none-any\.whl → approved with --approve \(vetting held it for an approver: auto_approve: off; every gate passed\)/);
    assert.doesNotMatch(r.stdout, /waiting for an approver/);
    const plain = buildWheel({ name: 'waitsome', version: '1.0' });
    const waits = cli('add', writeArchive(join(tmp.path, 'approve'), plain.filename, plain.bytes));
    assert.match(waits.stdout, /→ quarantined \(hold: auto_approve: off; every gate passed, waiting for an approver\)/);
  });

  it('--approve that cannot approve a file (the policy rejects it) exits 1, and the summary counts states', () => {
    const policy = join(tmp.path, 'deny.yaml');
    writeFileSync(policy, 'deny: [denyme]\n');
    assert.equal(cli('policy', 'set', policy).status, 0);
    const dir = join(tmp.path, 'mixed-approve');
    for (const name of ['denyme', 'fineone']) {
      const w = buildWheel({ name, version: '1.0' });
      writeArchive(dir, w.filename, w.bytes);
    }
    const r = cli('add', '--approve', '--reason', 'vendored', dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^2 added \(1 approved, 1 rejected\), 0 already present, 0 refused; /m);
    assert.match(r.stderr, /--approve left 1 file\(s\) unapproved .*: denyme-1\.0-py3-none-any\.whl/);
  });

  it('files takes NAME or NAME==VERSION; anything else is an error, not an empty list', () => {
    const one = cli('--json', 'files', 'addme==1.0.0');
    assert.equal(one.status, 0, one.stderr);
    assert.deepEqual((JSON.parse(one.stdout) as { filename: string }[]).map((f) => f.filename), ['addme-1.0-py3-none-any.whl']);
    const bad = cli('files', 'addme>=1');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /PROJECT_NAME_INVALID.*'addme>=1' is not a project name or NAME==VERSION/);
    assert.match(cli('files', 'addme==one').stderr, /VERSION_INVALID/);
  });

  it('a folder without a wheel or sdist is invalid input, said plainly', () => {
    const r = cli('add', empty);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`NO_ARCHIVES_FOUND.*no wheel or sdist \\(\\.whl, \\.tar\\.gz, \\.zip\\) found under ${empty}`));
    assert.doesNotMatch(r.stdout, /added/);
    const json = cli('--json', 'add', empty);
    assert.equal(json.status, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string; kind: string } }).error.code, 'NO_ARCHIVES_FOUND');
  });
});
