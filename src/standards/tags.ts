// PEP 425 compatibility tags and platform tags, ported from pypa/packaging 26.2 (tags.py,
// _manylinux.py, _musllinux.py). Unlike packaging, nothing here probes the host: every function
// takes the interpreter and platform it describes, so one server can compute the supported tags
// of any target (Linux, macOS, Windows, iOS, Android, z/OS, ...).
import { PyvetError } from '../errors.js';

export class Tag {
  readonly interpreter: string;
  readonly abi: string;
  readonly platform: string;

  constructor(interpreter: string, abi: string, platform: string) {
    this.interpreter = interpreter.toLowerCase();
    this.abi = abi.toLowerCase();
    this.platform = platform.toLowerCase();
  }

  toString(): string {
    return `${this.interpreter}-${this.abi}-${this.platform}`;
  }

  toJSON(): string {
    return this.toString();
  }

  equals(other: Tag): boolean {
    return this.interpreter === other.interpreter && this.abi === other.abi && this.platform === other.platform;
  }
}

/** A compressed tag set component ('py3.py2') is not in the sorted order PEP 425 requires. */
export class UnsortedTagsError extends PyvetError {
  constructor(component: string) {
    super('UNSORTED_TAGS', 'invalid', `Tag component '${component}' is not in sorted order per PEP 425`, {
      component,
    });
    this.name = 'UnsortedTagsError';
  }
}

/** A tag string that is not interpreter-abi-platform. */
export class InvalidTag extends PyvetError {
  constructor(tag: string) {
    super('INVALID_TAG', 'invalid', `Invalid tag (expected interpreter-abi-platform): '${tag}'`, { tag });
    this.name = 'InvalidTag';
  }
}

/** Python's str ordering: by code point, not by UTF-16 code unit as Array#sort does. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return y.done ? 0 : -1;
    if (y.done) return 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function isSorted(parts: string[]): boolean {
  for (let i = 1; i < parts.length; i++) if (compareCodePoints(parts[i - 1]!, parts[i]!) > 0) return false;
  return true;
}

/**
 * Parses a tag, possibly a compressed tag set ('py2.py3-none-any'), into its distinct tags in
 * expansion order. With validateOrder, each component's parts must be sorted (PEP 425).
 */
export function parseTag(tag: string, options: { validateOrder?: boolean } = {}): Tag[] {
  const components = tag.split('-');
  if (components.length !== 3) throw new InvalidTag(tag);
  const [interpreters, abis, platforms] = components as [string, string, string];
  // Most tags are not compressed sets: skip the expansion.
  if (!tag.includes('.')) return [new Tag(interpreters, abis, platforms)];
  if (options.validateOrder) {
    for (const component of components) {
      if (!isSorted(component.split('.'))) throw new UnsortedTagsError(component);
    }
  }
  const seen = new Set<string>();
  const tags: Tag[] = [];
  for (const interpreter of interpreters.split('.')) {
    for (const abi of abis.split('.')) {
      for (const platform of platforms.split('.')) {
        const t = new Tag(interpreter, abi, platform);
        const key = t.toString();
        if (!seen.has(key)) {
          seen.add(key);
          tags.push(t);
        }
      }
    }
  }
  return tags;
}

/** Python version as packaging takes it: [major] or [major, minor] (more parts are allowed). */
export type PythonVersion = readonly number[];

function versionNodot(version: PythonVersion): string {
  return version.join('');
}

/** Python's tuple ordering for version tuples. */
function compareTuples(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

function normalizeString(s: string): string {
  return s.replace(/[.\- ]/g, '_');
}

function isThreadedCpython(abis: readonly string[]): boolean {
  if (abis.length === 0) return false;
  const m = /^cp\p{Nd}+(.*)/su.exec(abis[0]!);
  return m !== null && m[1]!.includes('t');
}

/**
 * The ABI tags of a CPython build described by its version and flags, as packaging derives
 * them from sysconfig: 'm' (pymalloc) before 3.8, 'u' (UCS-4) before 3.3, 'd' for debug
 * builds (which also load normal extensions from 3.8 on), 't' for free-threaded 3.13+.
 */
export function cpythonAbis(
  pythonVersion: PythonVersion,
  flags: { debug?: boolean; freeThreaded?: boolean; pymalloc?: boolean; ucs4?: boolean } = {},
): string[] {
  const version = versionNodot(pythonVersion.slice(0, 2));
  const threading = compareTuples(pythonVersion, [3, 13]) >= 0 && flags.freeThreaded ? 't' : '';
  const debug = flags.debug ? 'd' : '';
  let pymalloc = '';
  let ucs4 = '';
  const abis: string[] = [];
  if (compareTuples(pythonVersion, [3, 8]) < 0) {
    if (flags.pymalloc ?? true) pymalloc = 'm';
    if (compareTuples(pythonVersion, [3, 3]) < 0 && (flags.ucs4 ?? true)) ucs4 = 'u';
  } else if (debug) {
    abis.push(`cp${version}${threading}`);
  }
  abis.unshift(`cp${version}${threading}${debug}${pymalloc}${ucs4}`);
  return abis;
}

/**
 * The tags of a CPython interpreter, most preferred first: its own ABIs, then abi3 (or abi3t
 * for free-threaded builds), then none, then the stable ABI of every older minor down to 3.2.
 */
export function cpythonTags(pythonVersion: PythonVersion, abis: Iterable<string>, platforms: Iterable<string>): Tag[] {
  const interpreter = `cp${versionNodot(pythonVersion.slice(0, 2))}`;
  const ownAbis = [...abis];
  for (const explicit of ['abi3', 'none']) {
    const i = ownAbis.indexOf(explicit);
    if (i >= 0) ownAbis.splice(i, 1);
  }
  const plats = [...platforms];
  const tags: Tag[] = [];
  for (const abi of ownAbis) for (const p of plats) tags.push(new Tag(interpreter, abi, p));
  const threading = isThreadedCpython(ownAbis);
  const stable = pythonVersion.length > 1 && compareTuples(pythonVersion, [3, 2]) >= 0;
  const useAbi3 = stable && !threading;
  const useAbi3t = stable && threading;
  if (useAbi3) for (const p of plats) tags.push(new Tag(interpreter, 'abi3', p));
  if (useAbi3t) for (const p of plats) tags.push(new Tag(interpreter, 'abi3t', p));
  for (const p of plats) tags.push(new Tag(interpreter, 'none', p));
  if (useAbi3 || useAbi3t) {
    const major = pythonVersion[0]!;
    for (let minor = pythonVersion[1]! - 1; minor > 1; minor--) {
      const older = `cp${major}${minor}`;
      for (const p of plats) {
        if (useAbi3) tags.push(new Tag(older, 'abi3', p));
        if (useAbi3t) tags.push(new Tag(older, 'abi3t', p));
      }
    }
  }
  return tags;
}

/** Tags of an interpreter needing no specialisation: each ABI (plus 'none') on each platform. */
export function genericTags(interpreter: string, abis: Iterable<string>, platforms: Iterable<string>): Tag[] {
  const allAbis = [...abis];
  if (!allAbis.includes('none')) allAbis.push('none');
  const plats = [...platforms];
  const tags: Tag[] = [];
  for (const abi of allAbis) for (const p of plats) tags.push(new Tag(interpreter, abi, p));
  return tags;
}

function* pyInterpreterRange(pythonVersion: PythonVersion): Generator<string> {
  if (pythonVersion.length > 1) yield `py${versionNodot(pythonVersion.slice(0, 2))}`;
  yield `py${pythonVersion[0]}`;
  if (pythonVersion.length > 1) {
    for (let minor = pythonVersion[1]! - 1; minor >= 0; minor--) yield `py${pythonVersion[0]}${minor}`;
  }
}

/**
 * Pure-Python tags: py* on each platform, then '<interpreter>-none-any' when an interpreter is
 * given (cp312-none-any: how z/OS toolkit wheels are tagged), then py*-none-any.
 */
export function compatibleTags(
  pythonVersion: PythonVersion,
  interpreter: string | null | undefined,
  platforms: Iterable<string>,
): Tag[] {
  const plats = [...platforms];
  const tags: Tag[] = [];
  for (const v of pyInterpreterRange(pythonVersion)) for (const p of plats) tags.push(new Tag(v, 'none', p));
  if (interpreter) tags.push(new Tag(interpreter, 'none', 'any'));
  for (const v of pyInterpreterRange(pythonVersion)) tags.push(new Tag(v, 'none', 'any'));
  return tags;
}

/** [major, minor] of macOS or iOS. */
export type AppleVersion = readonly [number, number];

function macBinaryFormats(version: AppleVersion, cpuArch: string): string[] {
  const formats = [cpuArch];
  const v = (major: number, minor: number) => compareTuples(version, [major, minor]);
  if (cpuArch === 'x86_64') {
    if (v(10, 4) < 0) return [];
    formats.push('intel', 'fat64', 'fat32');
  } else if (cpuArch === 'i386') {
    if (v(10, 4) < 0) return [];
    formats.push('intel', 'fat32', 'fat');
  } else if (cpuArch === 'ppc64') {
    if (v(10, 5) > 0 || v(10, 4) < 0) return [];
    formats.push('fat64');
  } else if (cpuArch === 'ppc') {
    if (v(10, 6) > 0) return [];
    formats.push('fat32', 'fat');
  }
  if (cpuArch === 'arm64' || cpuArch === 'x86_64') formats.push('universal2');
  if (['x86_64', 'i386', 'ppc64', 'ppc', 'intel'].includes(cpuArch)) formats.push('universal');
  return formats;
}

/** macOS platform tags for a macOS version and CPU architecture, newest first. */
export function macPlatforms(version: AppleVersion, arch: string): string[] {
  const out: string[] = [];
  const emit = (major: number, minor: number, formats: string[]) => {
    for (const f of formats) out.push(`macosx_${major}_${minor}_${f}`);
  };
  if (compareTuples(version, [10, 0]) >= 0 && compareTuples(version, [11, 0]) < 0) {
    // Before macOS 11 every yearly release bumped the minor version.
    for (let minor = version[1]; minor >= 0; minor--) emit(10, minor, macBinaryFormats([10, minor], arch));
  }
  if (compareTuples(version, [11, 0]) >= 0) {
    // From macOS 11 on, yearly releases bump the major version.
    for (let major = version[0]; major > 10; major--) emit(major, 0, macBinaryFormats([major, 0], arch));
    // x86_64 runs binaries of earlier releases; arm64 only universal2 ones built for 10.x.
    for (let minor = 16; minor > 3; minor--) {
      emit(10, minor, arch === 'x86_64' ? macBinaryFormats([10, minor], arch) : ['universal2']);
    }
  }
  return out;
}

/** iOS platform tags ('arm64-iphoneos' style multiarch), from the version down to 12.0. */
export function iosPlatforms(version: AppleVersion, multiarch: string): string[] {
  const arch = multiarch.replace(/-/g, '_');
  const out: string[] = [];
  if (version[0] < 12) return out;
  out.push(`ios_${version[0]}_${version[1]}_${arch}`);
  for (let minor = version[1] - 1; minor >= 0; minor--) out.push(`ios_${version[0]}_${minor}_${arch}`);
  for (let major = version[0] - 1; major > 11; major--) {
    for (let minor = 9; minor >= 0; minor--) out.push(`ios_${major}_${minor}_${arch}`);
  }
  return out;
}

/** Android platform tags from an API level down to 16, the oldest CPython supports. */
export function androidPlatforms(apiLevel: number, abi: string): string[] {
  const a = normalizeString(abi);
  const out: string[] = [];
  for (let level = apiLevel; level >= 16; level--) out.push(`android_${level}_${a}`);
  return out;
}

/** [major, minor] of glibc or musl. */
export type LibcVersion = readonly [number, number];

// Architectures manylinux wheels exist for; armv7l and i686 count when the interpreter is a
// hard-float ARM or an i386 binary, which a described target is by definition.
const MANYLINUX_ARCHS = new Set(['x86_64', 'aarch64', 'ppc64', 'ppc64le', 's390x', 'loongarch64', 'riscv64']);
// packaging assumes glibc 2.x ended at minor 50 should a glibc 3 ever appear.
const LAST_GLIBC_MINOR = 50;
const LEGACY_MANYLINUX: Record<string, string> = {
  '2_17': 'manylinux2014',
  '2_12': 'manylinux2010',
  '2_5': 'manylinux1',
};

/**
 * manylinux platform tags (PEP 600, with the PEP 513/571/599 legacy aliases right after their
 * glibc version) for a system with this glibc, newest first, arch by arch.
 */
export function manylinuxPlatforms(glibc: LibcVersion, archs: readonly string[]): string[] {
  const out: string[] = [];
  const compatibleAbi =
    archs.includes('armv7l') || archs.includes('i686') || archs.some((a) => MANYLINUX_ARCHS.has(a));
  if (!compatibleAbi) return out;
  // The oldest glibc supported: 2.17 everywhere, 2.5 on x86.
  const tooOld: LibcVersion = archs.includes('x86_64') || archs.includes('i686') ? [2, 4] : [2, 16];
  const maxima: LibcVersion[] = [glibc];
  for (let major = glibc[0] - 1; major > 1; major--) maxima.push([major, LAST_GLIBC_MINOR]);
  for (const arch of archs) {
    for (const [major, maxMinor] of maxima) {
      const minMinor = major === tooOld[0] ? tooOld[1] : -1;
      for (let minor = maxMinor; minor > minMinor; minor--) {
        out.push(`manylinux_${major}_${minor}_${arch}`);
        const legacy = LEGACY_MANYLINUX[`${major}_${minor}`];
        if (legacy) out.push(`${legacy}_${arch}`);
      }
    }
  }
  return out;
}

/** musllinux platform tags (PEP 656) for a system with this musl, newest first, arch by arch. */
export function musllinuxPlatforms(musl: LibcVersion, archs: readonly string[]): string[] {
  const out: string[] = [];
  for (const arch of archs) for (let minor = musl[1]; minor >= 0; minor--) out.push(`musllinux_${musl[0]}_${minor}_${arch}`);
  return out;
}

export interface LinuxSystem {
  /** sysconfig.get_platform() of the interpreter, e.g. 'linux-x86_64'. */
  sysconfigPlatform: string;
  /** A 32-bit interpreter on a 64-bit kernel (i686 on x86_64, armv8l on aarch64). */
  is32bit?: boolean;
  glibc?: LibcVersion | null;
  musl?: LibcVersion | null;
}

/** The platform list sys_tags() uses on Linux: manylinux, then musllinux, then linux_<arch>. */
export function linuxPlatforms(system: LinuxSystem): string[] {
  let linux = normalizeString(system.sysconfigPlatform);
  if (!linux.startsWith('linux_')) return [linux];
  if (system.is32bit) {
    if (linux === 'linux_x86_64') linux = 'linux_i686';
    else if (linux === 'linux_aarch64') linux = 'linux_armv8l';
  }
  const arch = linux.slice('linux_'.length);
  const archs = arch === 'armv8l' ? ['armv8l', 'armv7l'] : [arch];
  return [
    ...(system.glibc ? manylinuxPlatforms(system.glibc, archs) : []),
    ...(system.musl ? musllinuxPlatforms(system.musl, archs) : []),
    ...archs.map((a) => `linux_${a}`),
  ];
}

/** An interpreter described explicitly, what sys_tags() would probe on the machine itself. */
export interface InterpreterDescription {
  /** Short interpreter name: 'cp', 'pp', 'graalpy', ... */
  interpreterName: string;
  pythonVersion: PythonVersion;
  abis: readonly string[];
  /** Platform tags, most preferred first. */
  platforms: readonly string[];
}

/** The ordered tags such an interpreter supports (packaging's sys_tags(), without probing). */
export function sysTags(interp: InterpreterDescription): Tag[] {
  const nodot = versionNodot(interp.pythonVersion.slice(0, 2));
  if (interp.interpreterName === 'cp') {
    return [
      ...cpythonTags(interp.pythonVersion, interp.abis, interp.platforms),
      ...compatibleTags(interp.pythonVersion, `cp${nodot}`, interp.platforms),
    ];
  }
  return [
    ...genericTags(`${interp.interpreterName}${nodot}`, interp.abis, interp.platforms),
    ...compatibleTags(interp.pythonVersion, interp.interpreterName === 'pp' ? 'pp3' : null, interp.platforms),
  ];
}

/**
 * A target environment for tag purposes. `abis` defaults to the standard CPython build's ABI
 * (cpythonAbis) for 'cp' and to none otherwise.
 */
export interface TargetTags {
  implementation: string;
  pythonVersion: readonly [number, number];
  abis?: readonly string[];
  platforms: readonly string[];
}

/** The ordered supported tags of a target, most preferred first. */
export function targetTags(target: TargetTags): Tag[] {
  const abis = target.abis ?? (target.implementation === 'cp' ? cpythonAbis(target.pythonVersion) : []);
  return sysTags({
    interpreterName: target.implementation,
    pythonVersion: target.pythonVersion,
    abis,
    platforms: target.platforms,
  });
}

/** Tag string → rank (0 is best); duplicates keep their first rank. */
export type TagRanks = ReadonlyMap<string, number>;

export function tagRanks(supported: Iterable<Tag | string>): TagRanks {
  const ranks = new Map<string, number>();
  let rank = 0;
  for (const tag of supported) {
    const key = typeof tag === 'string' ? tag.toLowerCase() : tag.toString();
    if (!ranks.has(key)) ranks.set(key, rank);
    rank++;
  }
  return ranks;
}

/** The best (lowest) rank among tags, or undefined when none is supported. */
export function bestRank(ranks: TagRanks, tags: Iterable<Tag | string>): number | undefined {
  let best: number | undefined;
  for (const tag of tags) {
    const r = ranks.get(typeof tag === 'string' ? tag.toLowerCase() : tag.toString());
    if (r !== undefined && (best === undefined || r < best)) best = r;
  }
  return best;
}

/**
 * The best rank of a compressed tag string ('cp312-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64')
 * without building Tag objects: the fast path for scoring thousands of wheels.
 */
export function compressedTagRank(ranks: TagRanks, compressed: string): number | undefined {
  const lower = compressed.toLowerCase();
  if (!lower.includes('.')) return ranks.get(lower);
  const components = lower.split('-');
  if (components.length !== 3) return undefined;
  const [interpreters, abis, platforms] = components as [string, string, string];
  let best: number | undefined;
  for (const i of interpreters.split('.')) {
    for (const a of abis.split('.')) {
      for (const p of platforms.split('.')) {
        const r = ranks.get(`${i}-${a}-${p}`);
        if (r !== undefined && (best === undefined || r < best)) best = r;
      }
    }
  }
  return best;
}

/**
 * packaging's create_compatible_tags_selector: given the supported tags (best first), returns
 * a function that keeps the things having a supported tag, best rank first, ties in input order.
 */
export function createCompatibleTagsSelector<T>(
  supported: Iterable<Tag | string> | TagRanks,
): (things: Iterable<readonly [T, Iterable<Tag | string>]>) => T[] {
  const ranks = supported instanceof Map ? (supported as TagRanks) : tagRanks(supported as Iterable<Tag | string>);
  return (things) => {
    const ranked: { thing: T; rank: number }[] = [];
    for (const [thing, tags] of things) {
      const rank = bestRank(ranks, tags);
      if (rank !== undefined) ranked.push({ thing, rank });
    }
    // Array#sort is stable, so equal ranks keep their input order.
    return ranked.sort((a, b) => a.rank - b.rank).map((r) => r.thing);
  };
}

/** The single best thing for the supported tags, or undefined when none fits. */
export function selectBestWheel<T>(
  supported: Iterable<Tag | string> | TagRanks,
  things: Iterable<readonly [T, Iterable<Tag | string>]>,
): T | undefined {
  return createCompatibleTagsSelector<T>(supported)(things)[0];
}
