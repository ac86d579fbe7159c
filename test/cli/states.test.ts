// pyvet approve / reject / yank through the real CLI: what a broad selector skipped and how to
// overturn a rejection, an overturned rejection said out loud, several selectors that change
// nothing when one matches nothing, and a warning when a released file is rejected or yanked.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
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

interface FileJson {
  filename: string;
  state: string;
}

describe('state commands', () => {
  const tmp = tempDir('pyvet-states-');
  const data = join(tmp.path, 'data');
  const wheels = join(tmp.path, 'wheels');
  const v1 = buildWheel({ name: 'demo', version: '1.0' });
  const v1py2 = buildWheel({ name: 'demo', version: '1.0', tag: 'py2-none-any' });
  const v2 = buildWheel({ name: 'demo', version: '2.0' });
  const cli = (...args: string[]) => runCli(data, args);
  const state = (filename: string) =>
    (JSON.parse(cli('--json', 'files', 'demo').stdout) as FileJson[]).find((f) => f.filename === filename)?.state;

  before(() => {
    for (const w of [v1, v1py2, v2]) writeArchive(wheels, w.filename, w.bytes);
    assert.equal(cli('init').status, 0);
    const added = cli('add', wheels);
    assert.equal(added.status, 0, added.stderr);
  });
  after(() => tmp.cleanup());

  it('approve NAME skips what was rejected, says so and how to overturn it', () => {
    const rejected = cli('reject', 'demo==1.0', '--reason', 'malicious');
    assert.equal(rejected.status, 0, rejected.stderr);
    const r = cli('approve', 'demo', '--reason', 'x');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /approve: 1 changed, 0 already so, 2 skipped/);
    for (const f of [v1.filename, v1py2.filename]) {
      assert.match(r.stderr, new RegExp(`skipped ${f} \\(rejected\\): rejected by cli:\\S+ \\("malicious"\\)`));
      assert.ok(r.stderr.includes(`pyvet approve ${f} --reason`), r.stderr);
      assert.equal(state(f), 'rejected');
    }
    const json = cli('--json', 'approve', 'demo==1.0', '--reason', 'x');
    assert.equal(json.status, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { changed: unknown[]; skipped: { file: FileJson; reason: string }[] };
    assert.equal(out.changed.length, 0);
    assert.deepEqual(out.skipped.map((s) => [s.file.filename, s.file.state]).sort(), [
      [v1py2.filename, 'rejected'],
      [v1.filename, 'rejected'],
    ]);
  });

  it('approve FILENAME overturns the rejection and says whose', () => {
    const r = cli('approve', v1.filename, '--reason', 'false positive');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`overturned the rejection of ${v1.filename.replaceAll('.', '\\.')} \\(rejected by cli:\\S+ at [0-9-]+ [0-9:]+: "malicious"\\)`));
    assert.equal(state(v1.filename), 'approved');
  });

  it('several selectors: one that matches nothing fails the command and nothing changes', () => {
    const r = cli('reject', v1.filename, 'nonexist==9', '--reason', 'r');
    assert.equal(r.status, 4);
    assert.match(r.stderr, /FILE_NOT_FOUND.*no file matches "nonexist==9"; nothing was changed/);
    assert.equal(state(v1.filename), 'approved');
  });

  it('yank of a never-served file is refused; reject and yank of a released file warn and name the release', () => {
    const refused = cli('yank', v1py2.filename, '--reason', 'r');
    assert.equal(refused.status, 5);
    assert.match(refused.stderr, /FILE_STATE_INVALID.*it is rejected, never served/);

    const release = cli('release', 'create', '2026.01.01', '--target', 'cp311-manylinux_x86_64', '--all');
    assert.equal(release.status, 0, release.stderr);
    const yanked = cli('yank', 'demo', '--reason', 'broken build');
    assert.equal(yanked.status, 0, yanked.stderr);
    assert.match(yanked.stderr, new RegExp(`warning ${v2.filename.replaceAll('.', '\\.')} is pinned in release 2026\\.01\\.01: pip still installs it`));
    const rejected = cli('--json', 'reject', v2.filename, '--reason', 'compromised');
    assert.equal(rejected.status, 0, rejected.stderr);
    assert.deepEqual((JSON.parse(rejected.stdout) as { pinnedIn: unknown }).pinnedIn, { [v2.filename]: ['2026.01.01'] });
    const human = cli('reject', v1.filename, '--reason', 'compromised');
    assert.equal(human.status, 0, human.stderr);
    assert.doesNotMatch(human.stderr, /warning/, 'not in a release');

    // The release still lists the file, with what became of it.
    const shown = cli('release', 'show', '2026.01.01');
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`${v2.filename.replaceAll('.', '\\.')}.*rejected`));
    assert.match(shown.stderr, new RegExp(`1 pinned file\\(s\\) are no longer served \\(${v2.filename.replaceAll('.', '\\.')}\\): pip install -r of this release will fail`));
    const json = JSON.parse(cli('--json', 'release', 'show', '2026.01.01').stdout) as { pins: { filename: string; state: string; yanked: boolean }[] };
    assert.deepEqual(
      json.pins.map((p) => [p.filename, p.state, p.yanked]),
      [[v2.filename, 'rejected', true]],
    );
  });
});
