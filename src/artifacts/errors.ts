// The stable error codes of src/artifacts, with their kinds: 'invalid' when the input is not an
// acceptable distribution, 'integrity' when bytes contradict what the archive or the caller
// promised about them.
import { type ErrorDetails, PyvetError } from '../errors.js';

const KINDS = {
  FILE_NOT_FOUND: 'not_found',
  ARCHIVE_TOO_LARGE: 'invalid',
  ARCHIVE_ZIP_BOMB: 'invalid',
  ARCHIVE_TOO_MANY_ENTRIES: 'invalid',
  ARCHIVE_PATH_UNSAFE: 'invalid',
  ARCHIVE_DUPLICATE_ENTRY: 'invalid',
  ARCHIVE_LINK: 'invalid',
  ARCHIVE_UNSUPPORTED: 'invalid',
  ARCHIVE_CORRUPT: 'integrity',
  FILENAME_INVALID: 'invalid',
  WHEEL_NO_DIST_INFO: 'invalid',
  WHEEL_BAD_WHEEL_FILE: 'invalid',
  WHEEL_RECORD_MISSING: 'invalid',
  WHEEL_RECORD_MISMATCH: 'integrity',
  METADATA_MISSING: 'invalid',
  METADATA_TOO_LARGE: 'invalid',
  METADATA_NOT_UTF8: 'invalid',
  METADATA_INVALID: 'invalid',
  METADATA_MISMATCH: 'invalid',
  SDIST_LAYOUT: 'invalid',
  DIGEST_MISMATCH: 'integrity',
} as const;

export type ArtifactErrorCode = keyof typeof KINDS;

/** An error about the distribution file `filename`; the message starts with the filename. */
export function artifactError(
  code: ArtifactErrorCode,
  filename: string,
  message: string,
  details: ErrorDetails = {},
  cause?: unknown,
): PyvetError {
  return new PyvetError(code, KINDS[code], `${filename}: ${message}`, { filename, ...details }, { cause });
}
