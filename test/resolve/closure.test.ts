import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkClosure, type TargetClosure } from '../../src/resolve/closure.js';
import { getTargets } from '../../src/resolve/targets.js';
import { repoWith } from './support.js';

const [LINUX, WIN, ZOS, PY312] = getTargets({ targets: [] }, ['cp311-manylinux_x86_64', 'cp311-win_amd64', 'cp312-zos', 'cp312-manylinux_x86_64']);

function problems(t: TargetClosure): string[] {
  return [...t.missing.map((p) => `missing ${p.requirement} <- ${p.neededBy.map((n) => n.project).join(',')} [${p.chain.join('>')}]`), ...t.unsatisfiable.map((p) => `unsatisfiable ${p.requirement} <- ${p.neededBy.map((n) => n.project).join(',')} (${p.available.join(',')})`)];
}

describe('closure', () => {
  describe('a small repository', () => {
    let t: Awaited<ReturnType<typeof repoWith>>;
    before(async () => {
      t = await repoWith([
        { name: 'app', version: '1.0', deps: ['web>=2', 'pywin32>=300; sys_platform == "win32"', 'fast; python_version >= "3.12"'] },
        { name: 'web', version: '2.0', deps: ['http[socks]>=1.0', 'tpl'] },
        { name: 'web', version: '1.0', deps: ['gone'] },
        { name: 'http', version: '1.5', deps: ['pysocks; extra == "socks"'], extras: ['socks'] },
        { name: 'tpl', version: '3.0', deps: ['markup>=9'] },
        { name: 'markup', version: '2.0' },
        { name: 'markup', version: '10.0b1' },
        // Only a cp311 manylinux wheel: installs nowhere else, so its dependency only matters there.
        { name: 'speedy', version: '1.0', tags: ['cp311-cp311-manylinux_2_17_x86_64', 'cp311-cp311-manylinux2014_x86_64'], deps: ['nativehelper'] },
        { name: 'oldpy', version: '1.0', requiresPython: '<3.11' },
        { name: 'pysocks', version: '1.7', state: 'quarantined' },
        { name: 'testing', version: '1.0', extras: ['test'], deps: ['pytest; extra == "test"'] },
      ]);
    });
    after(() => t.cleanup());

    it('names each missing or unsatisfiable requirement with who needs it and the chain', async () => {
      const report = await checkClosure(t.repo, [LINUX!]);
      assert.equal(report.closed, false);
      const linux = report.targets[0]!;
      assert.deepEqual(problems(linux), [
        'missing gone <- web [app>web]',
        'missing nativehelper <- speedy [speedy]',
        // The quarantined pysocks does not count; http[socks] needs it through its extra.
        'missing pysocks; extra == "socks" <- http [app>web>http]',
        // pip would not take the beta for >=9 (no clause names a pre-release)
        'unsatisfiable markup>=9 <- tpl (10.0b1,2.0)',
      ]);
      assert.equal(linux.missing.find((m) => m.project === 'pysocks')!.extra, 'socks');
      assert.deepEqual(
        linux.requiresPythonViolations.map((v) => `${v.filename} ${v.requiresPython}`),
        ['oldpy-1.0-py3-none-any.whl <3.11'],
      );
      assert.ok(linux.installable.some((f) => f.filename.startsWith('speedy-')));
    });

    it('follows extras named by requirements', async () => {
      const linux = (await checkClosure(t.repo, [LINUX!])).targets[0]!;
      // `http[socks]` asks for the socks extra of http, whose pysocks is only quarantined; the
      // extra of `testing` is named by nobody, so pytest is not needed.
      const all = [...linux.missing, ...linux.unsatisfiable].map((p) => p.project);
      assert.ok(all.includes('pysocks'));
      assert.ok(!all.includes('pytest'));
    });

    it('evaluates markers and tags per target', async () => {
      const report = await checkClosure(t.repo, [WIN!, ZOS!, PY312!]);
      const [win, zos, py312] = report.targets;
      // On Windows pywin32 is needed and absent; speedy does not install there, so nativehelper is moot.
      assert.ok(problems(win!).some((p) => p.startsWith('missing pywin32>=300; sys_platform == "win32" <- app')));
      assert.ok(!problems(win!).some((p) => p.includes('nativehelper')));
      // On 3.12 app needs fast.
      assert.ok(problems(zos!).some((p) => p.startsWith('missing fast; python_version >= "3.12" <- app')));
      assert.ok(problems(py312!).some((p) => p.startsWith('missing fast;')));
    });

    it('checks extras of every file only when asked', async () => {
      const plain = (await checkClosure(t.repo, [LINUX!])).targets[0]!;
      assert.ok(!problems(plain).some((p) => p.includes('pytest')));
      const withExtras = (await checkClosure(t.repo, [LINUX!], { extras: true })).targets[0]!;
      const p = withExtras.missing.find((m) => m.project === 'pytest')!;
      assert.equal(p.extra, 'test');
      assert.deepEqual(p.neededBy.map((n) => n.project), ['testing']);
      const named = (await checkClosure(t.repo, [LINUX!], { extras: ['other'] })).targets[0]!;
      assert.ok(!named.missing.some((m) => m.project === 'pytest'));
    });
  });

  it('a newer version that dropped this Python is noted, not a problem, while an older one installs', async () => {
    const [PY310] = getTargets({ targets: [] }, ['cp310-manylinux_x86_64']);
    const t = await repoWith([
      { name: 'rx', version: '1.0', requiresPython: '>=3.8' },
      { name: 'rx', version: '2.0', requiresPython: '>=3.11' },
      { name: 'only-new', version: '1.0', requiresPython: '>=3.11' },
    ]);
    try {
      const py310 = (await checkClosure(t.repo, [PY310!])).targets[0]!;
      assert.deepEqual(py310.requiresPythonSkipped.map((v) => v.filename), ['rx-2.0-py3-none-any.whl']);
      // No version of only-new installs on 3.10: the set cannot offer it there.
      assert.deepEqual(py310.requiresPythonViolations.map((v) => v.filename), ['only_new-1.0-py3-none-any.whl']);
      assert.equal(py310.closed, false);
      const t2 = await repoWith([
        { name: 'rx', version: '1.0', requiresPython: '>=3.8' },
        { name: 'rx', version: '2.0', requiresPython: '>=3.11' },
      ]);
      try {
        const closed = (await checkClosure(t2.repo, [PY310!])).targets[0]!;
        assert.equal(closed.closed, true);
      } finally {
        t2.cleanup();
      }
    } finally {
      t.cleanup();
    }
  });

  it('is closed when everything is there, and only approved unyanked files count', async () => {
    const t = await repoWith([
      { name: 'a', version: '1.0', deps: ['b>=1,<3', 'c[fast]'] },
      { name: 'b', version: '2.0', deps: ['c>=0.5'] },
      { name: 'b', version: '4.0', deps: ['zzz'], state: 'quarantined' },
      { name: 'c', version: '1.0', deps: ['d; extra == "fast"'], extras: ['fast'] },
      { name: 'd', version: '1.0' },
      { name: 'e', version: '2.0rc1' },
      { name: 'f', version: '1.0', deps: ['e>=2.0rc1'] },
    ]);
    try {
      const report = await checkClosure(t.repo, [LINUX!, WIN!, ZOS!]);
      assert.equal(report.closed, true, JSON.stringify(report.targets.map(problems)));
      assert.deepEqual(
        report.targets[0]!.installable.map((f) => `${f.project}==${f.version}`),
        ['a==1.0', 'b==2.0', 'c==1.0', 'd==1.0', 'e==2.0rc1', 'f==1.0'],
      );
      // Yank d: c[fast] now lacks it.
      const d = t.files.find((f) => f.project === 'd')!;
      await t.repo.catalog.files.setYanked(d.id, true, 'broken');
      const again = await checkClosure(t.repo, [LINUX!]);
      assert.equal(again.closed, false);
      assert.deepEqual(problems(again.targets[0]!), ['missing d; extra == "fast" <- c [a>c]']);
      assert.equal(again.targets[0]!.missing[0]!.extra, 'fast');
    } finally {
      await t.cleanup();
    }
  });
});
