// Target environments: where a release is meant to be installed. A target is everything pip
// would probe on the machine itself (the PEP 508 marker environment and the ordered PEP 425
// tags), written down, so one server can reason about CPython on z/OS, Windows and Linux at once.
import type { PyvetConfig } from '../config.js';
import { PyvetError } from '../errors.js';
import {
  macPlatforms,
  manylinuxPlatforms,
  musllinuxPlatforms,
  type TagRanks,
  tagRanks,
  targetTags,
} from '../standards/tags.js';

/** The full PEP 508 marker environment (without `extra`, which depends on the requirement). */
export interface MarkerEnvironment {
  implementation_name: string;
  implementation_version: string;
  os_name: string;
  platform_machine: string;
  platform_python_implementation: string;
  platform_release: string;
  platform_system: string;
  platform_version: string;
  python_full_version: string;
  python_version: string;
  sys_platform: string;
}

export const MARKER_KEYS: readonly (keyof MarkerEnvironment)[] = [
  'implementation_name',
  'implementation_version',
  'os_name',
  'platform_machine',
  'platform_python_implementation',
  'platform_release',
  'platform_system',
  'platform_version',
  'python_full_version',
  'python_version',
  'sys_platform',
];

export interface Target {
  /** e.g. 'cp311-manylinux_x86_64', 'cp312-zos'. */
  name: string;
  description: string;
  /** Short interpreter name as in tags: 'cp', 'pp', … */
  implementation: string;
  pythonVersion: readonly [number, number];
  /** ABI tags of the interpreter, most preferred first. */
  abis: string[];
  /** Platform tags, most preferred first. */
  platforms: string[];
  environment: MarkerEnvironment;
  source: 'preset' | 'config';
}

/** The pythons presets exist for, each with a representative patch release for python_full_version. */
const PRESET_PYTHONS: readonly [number, string][] = [
  [10, '3.10.18'],
  [11, '3.11.13'],
  [12, '3.12.11'],
  [13, '3.13.5'],
  [14, '3.14.0'],
];

// The glibc of current distributions (Ubuntu 24.04): its manylinux ladder reaches down to the
// oldest wheels (manylinux1/2014). A release for it may pin a wheel that needs all of that glibc:
// clients on older systems (RHEL 8: 2.28, RHEL 9: 2.34) get a configured target with `glibc`.
const GLIBC: readonly [number, number] = [2, 39];
const MUSL: readonly [number, number] = [1, 2];
const MACOS: readonly [number, number] = [14, 0];
/** What pyvet names the z/OS platform tag; IBM's toolkit wheels are '-none-any', so it rarely matters. */
export const ZOS_PLATFORM = 'zos_s390x';

interface PlatformPreset {
  suffix: string;
  description: string;
  platforms: string[];
  env: Pick<MarkerEnvironment, 'os_name' | 'platform_machine' | 'platform_system' | 'sys_platform'>;
}

function platformPresets(): PlatformPreset[] {
  const linux = (arch: string): PlatformPreset => ({
    suffix: `manylinux_${arch}`,
    description: `Linux ${arch}, glibc ${GLIBC.join('.')} or newer (manylinux; for older systems configure a target with glibc)`,
    platforms: [...manylinuxPlatforms(GLIBC, [arch]), `linux_${arch}`],
    env: { os_name: 'posix', platform_machine: arch, platform_system: 'Linux', sys_platform: 'linux' },
  });
  return [
    linux('x86_64'),
    linux('aarch64'),
    linux('s390x'),
    {
      suffix: 'musllinux_x86_64',
      description: `Linux x86_64, musl ${MUSL.join('.')} (musllinux, Alpine)`,
      platforms: [...musllinuxPlatforms(MUSL, ['x86_64']), 'linux_x86_64'],
      env: { os_name: 'posix', platform_machine: 'x86_64', platform_system: 'Linux', sys_platform: 'linux' },
    },
    {
      suffix: 'macos_arm64',
      description: `macOS ${MACOS.join('.')} arm64`,
      platforms: macPlatforms(MACOS, 'arm64'),
      env: { os_name: 'posix', platform_machine: 'arm64', platform_system: 'Darwin', sys_platform: 'darwin' },
    },
    {
      suffix: 'macos_x86_64',
      description: `macOS ${MACOS.join('.')} x86_64`,
      platforms: macPlatforms(MACOS, 'x86_64'),
      env: { os_name: 'posix', platform_machine: 'x86_64', platform_system: 'Darwin', sys_platform: 'darwin' },
    },
    {
      suffix: 'win_amd64',
      description: 'Windows amd64',
      platforms: ['win_amd64'],
      env: { os_name: 'nt', platform_machine: 'AMD64', platform_system: 'Windows', sys_platform: 'win32' },
    },
    {
      suffix: 'zos',
      description: 'z/OS (IBM Open Enterprise SDK for Python)',
      platforms: [ZOS_PLATFORM],
      env: { os_name: 'posix', platform_machine: 's390x', platform_system: 'OS/390', sys_platform: 'zos' },
    },
  ];
}

function cpythonEnvironment(minor: number, full: string, env: PlatformPreset['env']): MarkerEnvironment {
  return {
    implementation_name: 'cpython',
    implementation_version: full,
    platform_python_implementation: 'CPython',
    platform_release: '',
    platform_version: '',
    python_full_version: full,
    python_version: `3.${minor}`,
    ...env,
  };
}

let presets: Target[] | undefined;

/** The built-in targets: CPython 3.10–3.14 on each preset platform. */
export function presetTargets(): Target[] {
  if (!presets) {
    presets = [];
    for (const [minor, full] of PRESET_PYTHONS) {
      for (const p of platformPresets()) {
        presets.push({
          name: `cp3${minor}-${p.suffix}`,
          description: `CPython 3.${minor} on ${p.description}`,
          implementation: 'cp',
          pythonVersion: [3, minor],
          abis: [`cp3${minor}`],
          platforms: p.platforms,
          environment: cpythonEnvironment(minor, full, p.env),
          source: 'preset',
        });
      }
    }
  }
  return presets;
}

function invalid(index: number, message: string, setting?: string): PyvetError {
  const where = setting ? `targets[${index}].${setting}` : `targets[${index}]`;
  return new PyvetError('TARGET_INVALID', 'invalid', `configuration ${where}: ${message}`, { setting: where });
}

function stringList(value: unknown, index: number, setting: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw invalid(index, 'must be a non-empty array of strings', setting);
  }
  return value as string[];
}

const TARGET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CONFIG_KEYS = new Set([
  'name',
  'description',
  'base',
  'python',
  'python_full_version',
  'implementation',
  'abis',
  'platforms',
  'glibc',
  'environment',
]);

// manylinux tags by the glibc they need (PEP 600), legacy aliases included (PEP 513/571/599).
const MANYLINUX_TAG = /^manylinux_(\d+)_(\d+)_/;
const LEGACY_GLIBC: Record<string, readonly [number, number]> = { manylinux1: [2, 5], manylinux2010: [2, 12], manylinux2014: [2, 17] };

/** The glibc a platform tag needs, or undefined for a tag that is not manylinux. */
function glibcOf(tag: string): readonly [number, number] | undefined {
  const m = MANYLINUX_TAG.exec(tag);
  if (m) return [Number(m[1]), Number(m[2])];
  return LEGACY_GLIBC[tag.slice(0, tag.indexOf('_'))];
}

/**
 * One `[[targets]]` table. Either standalone (name, python, platforms, …) or `base = "<preset>"`
 * overriding some fields. Marker variables not derivable go in an `environment` sub-table.
 */
export function targetFromConfig(raw: Record<string, unknown>, index: number, known: Map<string, Target>): Target {
  for (const key of Object.keys(raw)) {
    if (!CONFIG_KEYS.has(key)) throw invalid(index, `unknown setting '${key}' (allowed: ${[...CONFIG_KEYS].join(', ')})`);
  }
  const name = raw.name;
  if (typeof name !== 'string' || !TARGET_NAME.test(name)) {
    throw invalid(index, "'name' must be a string of letters, digits, '.', '_' or '-'", 'name');
  }
  let base: Target | undefined;
  if (raw.base !== undefined) {
    if (typeof raw.base !== 'string' || !known.has(raw.base)) {
      throw invalid(index, `'base' must name a known target (got ${JSON.stringify(raw.base)})`, 'base');
    }
    base = known.get(raw.base);
  }
  let pythonVersion = base?.pythonVersion;
  if (raw.python !== undefined) {
    const m = typeof raw.python === 'string' ? /^(\d+)\.(\d+)$/.exec(raw.python) : null;
    if (!m) throw invalid(index, `'python' must look like "3.11" (got ${JSON.stringify(raw.python)})`, 'python');
    pythonVersion = [Number(m[1]), Number(m[2])];
  }
  if (!pythonVersion) throw invalid(index, "'python' is required (or a 'base' target)", 'python');
  const implementation = raw.implementation ?? base?.implementation ?? 'cp';
  if (typeof implementation !== 'string' || !/^[a-z]+$/.test(implementation)) {
    throw invalid(index, "'implementation' must be a short interpreter name like \"cp\"", 'implementation');
  }
  const nodot = `${pythonVersion[0]}${pythonVersion[1]}`;
  const abis =
    raw.abis !== undefined
      ? stringList(raw.abis, index, 'abis')
      : base && raw.python === undefined
        ? base.abis
        : implementation === 'cp'
          ? [`cp${nodot}`]
          : [];
  let platforms = raw.platforms !== undefined ? stringList(raw.platforms, index, 'platforms') : base?.platforms;
  if (!platforms) throw invalid(index, "'platforms' is required (or a 'base' target)", 'platforms');
  if (raw.glibc !== undefined) {
    // The clients' glibc (RHEL 8: "2.28"): no wheel needing a newer one is ever pinned for them.
    const m = typeof raw.glibc === 'string' ? /^2\.(\d+)$/.exec(raw.glibc) : null;
    if (!m) throw invalid(index, `'glibc' must look like "2.28" (got ${JSON.stringify(raw.glibc)})`, 'glibc');
    const max = Number(m[1]);
    if (!platforms.some((p) => glibcOf(p) !== undefined)) throw invalid(index, "'glibc' applies to manylinux targets only", 'glibc');
    platforms = platforms.filter((p) => {
      const needs = glibcOf(p);
      return needs === undefined || needs[0] < 2 || (needs[0] === 2 && needs[1] <= max);
    });
  }
  let full = raw.python_full_version;
  if (full === undefined) {
    full =
      base && base.pythonVersion[0] === pythonVersion[0] && base.pythonVersion[1] === pythonVersion[1]
        ? base.environment.python_full_version
        : `${pythonVersion.join('.')}.0`;
  }
  if (typeof full !== 'string' || !full.startsWith(`${pythonVersion.join('.')}.`)) {
    throw invalid(index, `'python_full_version' must be a ${pythonVersion.join('.')}.N version`, 'python_full_version');
  }
  const envRaw = raw.environment ?? {};
  if (envRaw === null || typeof envRaw !== 'object' || Array.isArray(envRaw)) {
    throw invalid(index, "'environment' must be a table of marker variables", 'environment');
  }
  const environment: MarkerEnvironment = {
    ...(base?.environment ?? cpythonEnvironment(pythonVersion[1], full, {
      os_name: 'posix',
      platform_machine: '',
      platform_system: '',
      sys_platform: '',
    })),
    python_full_version: full,
    implementation_version: full,
    python_version: pythonVersion.join('.'),
  };
  for (const [key, value] of Object.entries(envRaw as Record<string, unknown>)) {
    if (!(MARKER_KEYS as readonly string[]).includes(key)) {
      throw invalid(index, `'${key}' is not a PEP 508 marker variable`, `environment.${key}`);
    }
    if (typeof value !== 'string') throw invalid(index, 'must be a string', `environment.${key}`);
    (environment as unknown as Record<string, string>)[key] = value;
  }
  const description = raw.description ?? base?.description ?? name;
  if (typeof description !== 'string') throw invalid(index, "'description' must be a string", 'description');
  return {
    name,
    description,
    implementation,
    pythonVersion,
    abis,
    platforms,
    environment,
    source: 'config',
  };
}

/** Presets plus the configured targets (a configured name may replace a preset). */
export function listTargets(config: Pick<PyvetConfig, 'targets'>): Target[] {
  const byName = new Map(presetTargets().map((t) => [t.name, t]));
  config.targets.forEach((raw, i) => {
    const t = targetFromConfig(raw, i, byName);
    byName.set(t.name, t);
  });
  return [...byName.values()];
}

/**
 * Looks targets up by name; a name may carry '*' wildcards ('cp311-*'). Unknown names are an
 * error that lists what exists. Order follows the request; duplicates are dropped.
 */
export function getTargets(config: Pick<PyvetConfig, 'targets'>, names: readonly string[]): Target[] {
  const all = listTargets(config);
  const out = new Map<string, Target>();
  for (const name of names) {
    if (name.includes('*')) {
      const re = new RegExp(`^${name.split('*').map(escapeRegExp).join('.*')}$`);
      const hits = all.filter((t) => re.test(t.name));
      if (hits.length === 0) throw unknownTarget(name, all);
      for (const t of hits) out.set(t.name, t);
      continue;
    }
    const t = all.find((x) => x.name === name);
    if (!t) throw unknownTarget(name, all);
    out.set(t.name, t);
  }
  return [...out.values()];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function unknownTarget(name: string, all: Target[]): PyvetError {
  return new PyvetError(
    'TARGET_UNKNOWN',
    'invalid',
    `unknown target '${name}' (see \`pyvet targets\`; e.g. ${all
      .slice(0, 3)
      .map((t) => t.name)
      .join(', ')})`,
    { target: name },
  );
}

const ranksCache = new WeakMap<Target, TagRanks>();

/** Supported tag → rank (0 = most preferred) for a target, computed once per target object. */
export function targetTagRanks(target: Target): TagRanks {
  let ranks = ranksCache.get(target);
  if (!ranks) {
    ranks = tagRanks(
      targetTags({
        implementation: target.implementation,
        pythonVersion: target.pythonVersion,
        abis: target.abis,
        platforms: target.platforms,
      }),
    );
    ranksCache.set(target, ranks);
  }
  return ranks;
}

/** The best rank among a file's expanded tags for a target, or undefined when it does not install there. */
export function fileTagRank(target: Target, tags: readonly string[]): number | undefined {
  const ranks = targetTagRanks(target);
  let best: number | undefined;
  for (const tag of tags) {
    const r = ranks.get(tag);
    if (r !== undefined && (best === undefined || r < best)) best = r;
  }
  return best;
}
