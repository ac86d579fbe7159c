import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PyvetError } from '../../src/errors.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileTagRank, getTargets, listTargets, presetTargets, targetTagRanks } from '../../src/resolve/targets.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const NONE = { targets: [] };

describe('targets', () => {
  it('has CPython 3.10–3.14 presets on every preset platform', () => {
    const names = presetTargets().map((t) => t.name);
    assert.equal(names.length, 5 * 8);
    for (const py of ['cp310', 'cp311', 'cp312', 'cp313', 'cp314']) {
      for (const p of ['manylinux_x86_64', 'manylinux_aarch64', 'manylinux_s390x', 'musllinux_x86_64', 'macos_arm64', 'macos_x86_64', 'win_amd64', 'zos']) {
        assert.ok(names.includes(`${py}-${p}`), `${py}-${p}`);
      }
    }
  });

  it('describes z/OS fully, and ranks the toolkit wheel tags', () => {
    const [zos] = getTargets(NONE, ['cp312-zos']);
    assert.deepEqual(
      { sys: zos!.environment.sys_platform, system: zos!.environment.platform_system, os: zos!.environment.os_name, machine: zos!.environment.platform_machine },
      { sys: 'zos', system: 'OS/390', os: 'posix', machine: 's390x' },
    );
    const ranks = targetTagRanks(zos!);
    const own = ranks.get('cp312-cp312-zos_s390x')!;
    const abi3 = ranks.get('cp312-abi3-zos_s390x')!;
    const cpAny = ranks.get('cp312-none-any')!;
    const py3Any = ranks.get('py3-none-any')!;
    assert.ok(own < abi3 && abi3 < cpAny && cpAny < py3Any, JSON.stringify({ own, abi3, cpAny, py3Any }));
    // A cp311 wheel does not install on 3.12, a manylinux one not on z/OS.
    assert.equal(fileTagRank(zos!, ['cp311-none-any']), undefined);
    assert.equal(fileTagRank(zos!, ['cp312-cp312-manylinux_2_17_x86_64']), undefined);
  });

  it('ranks manylinux wheels down the glibc ladder and never a Windows wheel', () => {
    const [t] = getTargets(NONE, ['cp311-manylinux_x86_64']);
    const r228 = fileTagRank(t!, ['cp311-cp311-manylinux_2_28_x86_64'])!;
    const r217 = fileTagRank(t!, ['cp311-cp311-manylinux_2_17_x86_64', 'cp311-cp311-manylinux2014_x86_64'])!;
    const r5 = fileTagRank(t!, ['cp311-cp311-manylinux1_x86_64'])!;
    assert.ok(r228 < r217 && r217 < r5);
    assert.equal(fileTagRank(t!, ['cp311-cp311-win_amd64']), undefined);
    assert.equal(fileTagRank(t!, ['cp311-cp311-manylinux_2_17_aarch64']), undefined);
    assert.equal(t!.environment.python_version, '3.11');
  });

  it('accepts wildcards and refuses unknown names, naming what exists', () => {
    assert.deepEqual(
      getTargets(NONE, ['cp31*-zos']).map((t) => t.name),
      ['cp310-zos', 'cp311-zos', 'cp312-zos', 'cp313-zos', 'cp314-zos'],
    );
    assert.throws(() => getTargets(NONE, ['cp399-zos']), (e: PyvetError) => e.code === 'TARGET_UNKNOWN' && /cp399-zos/.test(e.message));
  });

  it('reads [[targets]] from the configuration: standalone or based on a preset', () => {
    const config = {
      targets: [
        { name: 'rhel9', base: 'cp311-manylinux_x86_64', python_full_version: '3.11.7', environment: { platform_release: '5.14.0' } },
        { name: 'aix', python: '3.12', platforms: ['aix_7205_2318_64'], environment: { sys_platform: 'aix', platform_system: 'AIX' } },
      ],
    };
    const all = listTargets(config);
    const rhel = all.find((t) => t.name === 'rhel9')!;
    assert.equal(rhel.source, 'config');
    assert.equal(rhel.environment.python_full_version, '3.11.7');
    assert.equal(rhel.environment.platform_release, '5.14.0');
    assert.equal(rhel.environment.sys_platform, 'linux');
    assert.equal(rhel.platforms[0], 'manylinux_2_39_x86_64');
    const aix = all.find((t) => t.name === 'aix')!;
    assert.deepEqual(aix.abis, ['cp312']);
    assert.equal(aix.environment.python_full_version, '3.12.0');
    assert.ok(targetTagRanks(aix).has('cp312-cp312-aix_7205_2318_64'));
  });

  it('glibc on a configured manylinux target keeps out wheels that need a newer glibc', () => {
    const rhel8 = listTargets({ targets: [{ name: 'rhel8', base: 'cp311-manylinux_x86_64', glibc: '2.28' }] }).find((t) => t.name === 'rhel8')!;
    assert.equal(rhel8.platforms[0], 'manylinux_2_28_x86_64');
    const ranks = targetTagRanks(rhel8);
    assert.ok(ranks.has('cp311-cp311-manylinux_2_28_x86_64'));
    assert.ok(ranks.has('cp311-cp311-manylinux2014_x86_64') && ranks.has('cp311-cp311-manylinux1_x86_64'), 'older wheels still install');
    assert.ok(!ranks.has('cp311-cp311-manylinux_2_34_x86_64'), 'a manylinux_2_34 wheel is not for RHEL 8');
    assert.ok(ranks.has('cp311-cp311-linux_x86_64') && ranks.has('py3-none-any'));
    for (const [glibc, re] of [
      ['2.x', /'glibc' must look like "2\.28"/],
      [2.28, /'glibc' must look like "2\.28"/],
    ] as const) {
      assert.throws(
        () => listTargets({ targets: [{ name: 'x', base: 'cp311-manylinux_x86_64', glibc }] }),
        (e: PyvetError) => e.code === 'TARGET_INVALID' && re.test(e.message),
      );
    }
    assert.throws(
      () => listTargets({ targets: [{ name: 'x', base: 'cp311-win_amd64', glibc: '2.28' }] }),
      (e: PyvetError) => e.code === 'TARGET_INVALID' && /manylinux targets only/.test(e.message),
    );
  });

  it('explains what is wrong with a configured target', () => {
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ name: 'x', platforms: ['linux_x86_64'] }, /targets\[0\]\.python.*required/],
      [{ name: 'x', python: '3', platforms: ['linux_x86_64'] }, /'python' must look like "3.11"/],
      [{ name: 'x', python: '3.11' }, /'platforms' is required/],
      [{ name: 'x', python: '3.11', platforms: [] }, /platforms: must be a non-empty array/],
      [{ name: 'x y', python: '3.11', platforms: ['a'] }, /'name'/],
      [{ name: 'x', base: 'nope' }, /'base' must name a known target/],
      [{ name: 'x', python: '3.11', platforms: ['a'], environment: { os: 'posix' } }, /'os' is not a PEP 508 marker variable/],
      [{ name: 'x', python: '3.11', platforms: ['a'], color: 'red' }, /unknown setting 'color'/],
      [{ name: 'x', python: '3.11', platforms: ['a'], python_full_version: '3.12.1' }, /python_full_version/],
    ];
    for (const [raw, re] of bad) {
      assert.throws(
        () => listTargets({ targets: [raw] }),
        (e: PyvetError) => e.code === 'TARGET_INVALID' && re.test(e.message),
        JSON.stringify(raw),
      );
    }
  });

  it('lists configured targets from pyvet.toml on the command line, and refuses bad ones', () => {
    const tmp = tempDir('pyvet-targets-');
    try {
      const toml = (t: string) => writeFileSync(join(tmp.path, 'pyvet.toml'), t);
      toml('[[targets]]\nname = "rhel9"\nbase = "cp311-manylinux_x86_64"\npython_full_version = "3.11.7"\n');
      const r = runCli(tmp.path, ['--json', 'targets']);
      assert.equal(r.status, 0, r.stderr);
      const rhel = (JSON.parse(r.stdout) as { name: string; source: string; environment: { python_full_version: string } }[]).find((t) => t.name === 'rhel9')!;
      assert.deepEqual([rhel.source, rhel.environment.python_full_version], ['config', '3.11.7']);
      const shown = runCli(tmp.path, ['targets', 'rhel9', '--tags', '3']);
      assert.match(shown.stdout, /supported tags \(\d+\): cp311-cp311-manylinux_2_39_x86_64 cp311-cp311-manylinux_2_38_x86_64 cp311-cp311-manylinux_2_37_x86_64 …/);
      toml('[[targets]]\nname = "broken"\npython = "3.11"\n');
      const bad = runCli(tmp.path, ['targets']);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /TARGET_INVALID.*targets\[0\]\.platforms/);
    } finally {
      tmp.cleanup();
    }
  });
});
