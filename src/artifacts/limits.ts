import type { LimitsConfig } from '../config.js';
import { artifactError } from './errors.js';
import { printable } from './paths.js';

/** What an archive may cost us to read (config.limits, camel-cased). */
export interface ArtifactLimits {
  /** Largest archive file, bytes. */
  maxFileBytes: number;
  /** Largest total of inflated bytes (all members of a zip; the whole tar stream of a .tar.gz). */
  maxUncompressedBytes: number;
  /** Largest inflated/compressed ratio of one zip member, or of a gzip stream. */
  maxCompressionRatio: number;
  /** Largest METADATA / PKG-INFO, bytes. */
  maxMetadataBytes: number;
  /** Most members in one archive. */
  maxArchiveEntries: number;
}

export function artifactLimits(limits: LimitsConfig): ArtifactLimits {
  return {
    maxFileBytes: limits.max_file_bytes,
    maxUncompressedBytes: limits.max_uncompressed_bytes,
    maxCompressionRatio: limits.max_compression_ratio,
    maxMetadataBytes: limits.max_metadata_bytes,
    maxArchiveEntries: limits.max_archive_entries,
  };
}

/**
 * Below this many inflated bytes the compression ratio is not checked: a file of repeated bytes
 * (a table of zeros, a padded text file) compresses far beyond any sane ratio, and costs little
 * to inflate. Real wheels ship such data: onnx 1.23.1 has a 2.5 MB test tensor of zeros at
 * 1016:1 (deflate's ceiling is about 1032:1). What bounds the cost is max_uncompressed_bytes and
 * each member's declared size, both enforced on the bytes produced; the ratio only refuses
 * early what is clearly made to inflate.
 */
export const RATIO_FLOOR_BYTES = 16 * 1024 * 1024;

export function checkRatio(filename: string, member: string, inflated: number, compressed: number, limits: ArtifactLimits): void {
  if (inflated > RATIO_FLOOR_BYTES && inflated > compressed * limits.maxCompressionRatio) {
    throw artifactError(
      'ARCHIVE_ZIP_BOMB',
      filename,
      `'${printable(member)}' inflates more than ${limits.maxCompressionRatio} times its compressed size`,
      { member: printable(member), limit: limits.maxCompressionRatio },
    );
  }
}

/**
 * The ratio for the archive as a whole: many members each under the floor add up to a bomb
 * (64 members of 16 MiB of zeros: 1 GiB from 1 MB). A .tar.gz is one stream, checked so already.
 * Real wheels stay under 20:1 in all.
 */
export function checkArchiveRatio(filename: string, inflated: number, archiveBytes: number, limits: ArtifactLimits): void {
  if (inflated > RATIO_FLOOR_BYTES && inflated > archiveBytes * limits.maxCompressionRatio) {
    throw artifactError('ARCHIVE_ZIP_BOMB', filename, `inflates more than ${limits.maxCompressionRatio} times its own size`, {
      limit: limits.maxCompressionRatio,
    });
  }
}

export function checkTotal(filename: string, inflated: number, limits: ArtifactLimits): void {
  if (inflated > limits.maxUncompressedBytes) {
    throw artifactError('ARCHIVE_ZIP_BOMB', filename, `inflates to more than ${limits.maxUncompressedBytes} bytes`, {
      limit: limits.maxUncompressedBytes,
    });
  }
}

export function tooMany(filename: string, count: number, limits: ArtifactLimits): Error {
  return artifactError('ARCHIVE_TOO_MANY_ENTRIES', filename, `has ${count} members, more than the ${limits.maxArchiveEntries} allowed`, {
    limit: limits.maxArchiveEntries,
  });
}
