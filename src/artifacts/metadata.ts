// METADATA / PKG-INFO of an untrusted archive: strictly UTF-8, bounded, parsed by the
// standards core, and in agreement with the distribution's filename.
import type { IntegrityReport } from '../catalog/types.js';
import { type CoreMetadata, InvalidMetadata, type MetadataProblem, parseCoreMetadata } from '../standards/metadata.js';
import { canonicalizeName } from '../standards/names.js';
import { InvalidVersion, Version } from '../standards/version.js';
import { artifactError } from './errors.js';
import { printable } from './paths.js';

export interface ReadMetadata {
  metadata: CoreMetadata;
  /** Name as written. */
  displayName: string;
  /** PEP 440-normalized version. */
  version: string;
}

/** Decodes, parses and checks metadata bytes against the filename's name and version. */
export function checkMetadata(
  filename: string,
  member: string,
  bytes: Buffer,
  expected: { name: string; version: Version },
  integrity: IntegrityReport,
): ReadMetadata {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (err) {
    throw artifactError('METADATA_NOT_UTF8', filename, `${member} is not valid UTF-8`, { member }, err);
  }
  // Python's email parser (pip reads metadata with it) takes a BOM for part of the first header
  // name and finds no headers at all; a NUL is no part of any field. Either way installers would
  // read other metadata than we do.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw artifactError('METADATA_INVALID', filename, `${member} starts with a byte-order mark, which installers do not skip`, { member });
  }
  if (text.includes('\0')) throw artifactError('METADATA_INVALID', filename, `${member} contains a NUL byte`, { member });
  let metadata: CoreMetadata;
  try {
    metadata = parseCoreMetadata(text);
  } catch (err) {
    if (!(err instanceof InvalidMetadata)) throw err;
    throw artifactError('METADATA_INVALID', filename, `${member}: ${err.message}`, { member }, err);
  }
  for (const field of ['Name', 'Version']) {
    // Given twice, a single-valued field is left unparsed (as packaging does): say so, not 'no Name'.
    const given = metadata.unparsed[field.toLowerCase()];
    if (given && given.length > 1) {
      throw artifactError('METADATA_INVALID', filename, `${member} gives ${field} ${given.length} times (${given.map((v) => `'${printable(v)}'`).join(', ')})`, {
        member,
      });
    }
  }
  const name = metadata.name?.trim();
  const rawVersion = metadata.version?.trim();
  if (!name || !rawVersion) {
    throw artifactError('METADATA_INVALID', filename, `${member} has no ${name ? 'Version' : 'Name'}`, { member });
  }
  if (metadata.normalizedVersion === undefined) {
    throw artifactError('METADATA_INVALID', filename, `${member} has Version '${rawVersion}', which is not a PEP 440 version`, {
      member,
      version: rawVersion,
    });
  }
  if (canonicalizeName(name) !== expected.name || !expected.version.equals(metadata.normalizedVersion)) {
    throw artifactError(
      'METADATA_MISMATCH',
      filename,
      `${member} says ${name} ${rawVersion} but the filename says ${expected.name} ${expected.version.toString()}`,
      { member, metadataName: name, metadataVersion: rawVersion, filenameName: expected.name, filenameVersion: expected.version.toString() },
    );
  }
  integrity.checks.push({ check: 'metadata-matches-filename', ok: true, detail: `${name} ${metadata.normalizedVersion}` });
  const problems: string[] = [];
  const notes: string[] = [];
  for (const p of metadata.problems) (isLegacyQuirk(p, metadata.metadataVersion) ? notes : problems).push(`${p.field}: ${p.message}`);
  integrity.checks.push(
    problems.length === 0
      ? { check: 'metadata-valid', ok: true, detail: `Metadata-Version ${metadata.metadataVersion ?? 'unknown'}` }
      : { check: 'metadata-valid', ok: false, detail: problems.join('; ') },
  );
  if (notes.length > 0) integrity.checks.push({ check: 'metadata-legacy', ok: true, detail: notes.join('; ') });
  return { metadata, displayName: name, version: metadata.normalizedVersion };
}

/**
 * What packaging's strict validation reports but no installer minds, and builders wrote for years:
 * a field newer than the declared Metadata-Version (setuptools wrote License-File under 2.1), a
 * field the specification does not define, and the Metadata-Version 2.0 of old bdist_wheel.
 * Holding every such wheel (about one in seven real ones) would bury the findings that matter;
 * they are kept as evidence instead. The messages are packaging's, which ours reproduce.
 */
function isLegacyQuirk(p: MetadataProblem, metadataVersion: string | undefined): boolean {
  if (p.field === 'metadata-version') return metadataVersion === '2.0';
  return / introduced in metadata version /.test(p.message) || p.message.startsWith('unrecognized field: ');
}

/** Whether `stem` ('<name>-<version>', a .dist-info or sdist top directory) names the expected project and version. */
export function stemNames(stem: string, expected: { name: string; version: Version }): boolean {
  const dash = stem.lastIndexOf('-');
  if (dash <= 0 || canonicalizeName(stem.slice(0, dash)) !== expected.name) return false;
  try {
    return expected.version.equals(Version.parse(stem.slice(dash + 1)));
  } catch (err) {
    if (err instanceof InvalidVersion) return false;
    throw err;
  }
}
