// Wheel (PEP 427/491) and sdist filenames, as pypa/packaging 26.2's parse_wheel_filename and
// parse_sdist_filename read them: the name is canonicalized, the version is a PEP 440 Version,
// the build tag is () or (int, rest), and compressed tag sets are expanded.
import { PyvetError } from '../errors.js';
import { canonicalizeName } from './names.js';
import { type Tag, parseTag, UnsortedTagsError } from './tags.js';
import { canonicalizeVersion, InvalidVersion, Version } from './version.js';

export class InvalidWheelFilename extends PyvetError {
  constructor(reason: string, filename: string) {
    super('INVALID_WHEEL_FILENAME', 'invalid', `Invalid wheel filename (${reason}): '${filename}'`, { filename, reason });
    this.name = 'InvalidWheelFilename';
  }
}

export class InvalidSdistFilename extends PyvetError {
  constructor(reason: string, filename: string) {
    super('INVALID_SDIST_FILENAME', 'invalid', `Invalid sdist filename (${reason}): '${filename}'`, { filename, reason });
    this.name = 'InvalidSdistFilename';
  }
}

/** Neither a wheel nor an sdist by its extension. */
export class InvalidDistributionFilename extends PyvetError {
  constructor(filename: string) {
    super(
      'INVALID_DISTRIBUTION_FILENAME',
      'invalid',
      `Not a distribution filename (expected .whl, .tar.gz or .zip): '${filename}'`,
      { filename },
    );
    this.name = 'InvalidDistributionFilename';
  }
}

/** () when the wheel has no build tag, else its leading digits and the rest. */
export type BuildTag = [] | [number, string];

export interface WheelFilename {
  /** Canonical (PEP 503) project name. */
  name: string;
  version: Version;
  build: BuildTag;
  /** The distinct tags of the (possibly compressed) tag set. */
  tags: Tag[];
}

export interface SdistFilename {
  name: string;
  version: Version;
}

export type DistributionFilename = ({ kind: 'wheel' } & WheelFilename) | ({ kind: 'sdist' } & SdistFilename);

// PEP 427 escaping leaves only word characters, digits, '.' and '_' in the name. Python's \w
// is Unicode letters and numbers; its '$' also matches before one final newline.
const WHEEL_NAME = /^[\p{L}\p{N}_.]*\n?$/u;
// The common all-ASCII case, checked first because it is cheaper.
const ASCII_WHEEL_NAME = /^[A-Za-z0-9_.]*$/;
// PEP 427: the build number starts with a digit (ASCII); Python's '.' stops at a newline.
const BUILD_TAG = /^([0-9]+)([^\n]*)/;

function parseVersion(text: string, onError: () => PyvetError): Version {
  try {
    return Version.parse(text);
  } catch (err) {
    if (err instanceof InvalidVersion) throw onError();
    throw err;
  }
}

/**
 * Parses a wheel filename. With validateOrder, compressed tag set components must be sorted
 * as PEP 425 requires ('py2.py3', not 'py3.py2').
 */
export function parseWheelFilename(filename: string, options: { validateOrder?: boolean } = {}): WheelFilename {
  if (!filename.endsWith('.whl')) throw new InvalidWheelFilename("extension must be '.whl'", filename);
  const stem = filename.slice(0, -4);
  const parts = stem.split('-');
  const dashes = parts.length - 1;
  if (dashes !== 4 && dashes !== 5) throw new InvalidWheelFilename('wrong number of parts', filename);
  // Python's split('-', dashes - 2): the last two dashes stay inside the tag part.
  const head = parts.slice(0, dashes - 2);
  const tagPart = parts.slice(dashes - 2).join('-');
  const namePart = head[0]!;
  if (namePart.includes('__') || !(ASCII_WHEEL_NAME.test(namePart) || WHEEL_NAME.test(namePart))) {
    throw new InvalidWheelFilename('invalid project name', filename);
  }
  const name = canonicalizeName(namePart);
  const version = parseVersion(head[1]!, () => new InvalidWheelFilename('invalid version', filename));
  let build: BuildTag = [];
  if (dashes === 5) {
    const m = BUILD_TAG.exec(head[2]!);
    if (m === null) throw new InvalidWheelFilename(`invalid build number '${head[2]}'`, filename);
    build = [Number(m[1]), m[2]!];
  }
  let tags: Tag[];
  try {
    tags = parseTag(tagPart, { validateOrder: options.validateOrder ?? false });
  } catch (err) {
    if (err instanceof UnsortedTagsError) {
      throw new InvalidWheelFilename('compressed tag set components must be in sorted order per PEP 425', filename);
    }
    throw err;
  }
  return { name, version, build, tags };
}

/** Parses an sdist filename (name-version.tar.gz or .zip; the version follows the last dash). */
export function parseSdistFilename(filename: string): SdistFilename {
  let stem: string;
  if (filename.endsWith('.tar.gz')) stem = filename.slice(0, -'.tar.gz'.length);
  else if (filename.endsWith('.zip')) stem = filename.slice(0, -'.zip'.length);
  else throw new InvalidSdistFilename("extension must be '.tar.gz' or '.zip'", filename);
  const dash = stem.lastIndexOf('-');
  if (dash < 0) throw new InvalidSdistFilename('no dash between name and version', filename);
  const name = canonicalizeName(stem.slice(0, dash));
  const version = parseVersion(stem.slice(dash + 1), () => new InvalidSdistFilename('invalid version', filename));
  return { name, version };
}

/** Parses a wheel or an sdist filename, saying which it is by its extension. */
export function parseDistributionFilename(filename: string, options: { validateOrder?: boolean } = {}): DistributionFilename {
  if (filename.endsWith('.whl')) return { kind: 'wheel', ...parseWheelFilename(filename, options) };
  if (filename.endsWith('.tar.gz') || filename.endsWith('.zip')) return { kind: 'sdist', ...parseSdistFilename(filename) };
  throw new InvalidDistributionFilename(filename);
}

/**
 * What makes two distribution filenames the same distribution, whatever their spelling: the
 * canonical project name, the version as PEP 440 compares it (1.0 == 1.0.0), and for a wheel its
 * build tag and set of tags; a release has one sdist whatever its archive format (PEP 527).
 * Installers treat two files with the same identity as interchangeable.
 */
export function distributionIdentity(filename: string): string {
  const d = parseDistributionFilename(filename);
  const version = canonicalizeVersion(d.version);
  if (d.kind === 'sdist') return `${d.name} ${version} sdist`;
  const tags = [...new Set(d.tags.map((t) => t.toString()))].sort().join('.');
  return `${d.name} ${version} ${d.build.join('')} ${tags}`;
}
