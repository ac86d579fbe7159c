// METADATA / PKG-INFO of an untrusted archive: strictly UTF-8, bounded, parsed by the
// standards core, and in agreement with the distribution's filename.
import type { IntegrityReport } from '../catalog/types.js';
import { type CoreMetadata, InvalidMetadata, parseCoreMetadata } from '../standards/metadata.js';
import { canonicalizeName } from '../standards/names.js';
import { InvalidVersion, Version } from '../standards/version.js';
import { artifactError } from './errors.js';

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
  let metadata: CoreMetadata;
  try {
    metadata = parseCoreMetadata(text);
  } catch (err) {
    if (!(err instanceof InvalidMetadata)) throw err;
    throw artifactError('METADATA_INVALID', filename, `${member}: ${err.message}`, { member }, err);
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
  const problems = metadata.problems.map((p) => `${p.field}: ${p.message}`);
  integrity.checks.push(
    problems.length === 0
      ? { check: 'metadata-valid', ok: true, detail: `Metadata-Version ${metadata.metadataVersion ?? 'unknown'}` }
      : { check: 'metadata-valid', ok: false, detail: problems.join('; ') },
  );
  return { metadata, displayName: name, version: metadata.normalizedVersion };
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
