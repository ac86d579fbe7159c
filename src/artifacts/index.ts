// Reading wheels and sdists safely: the one entry point ingest, upload and mirroring call.
// inspectArtifact reads an archive from disk without extracting anything, enforces the limits
// while inflating, and either returns a report or throws a PyvetError with a stable code
// (the codes and their kinds are listed in ./errors.ts).
import type { IntegrityReport } from '../catalog/types.js';
import type { Digests } from './digests.js';
import type { ArtifactLimits } from './limits.js';
import type { CoreMetadata } from '../standards/metadata.js';

export { Digester, type Digests, hashFile } from './digests.js';
export { type ArtifactLimits, artifactLimits } from './limits.js';
export type { CoreMetadata } from '../standards/metadata.js';

export interface ArtifactReport {
  filename: string;
  kind: 'wheel' | 'sdist';
  digests: Digests;
  /** PEP 503-normalized project name. */
  name: string;
  /** Name: as written in the metadata (e.g. "Django"). */
  displayName: string;
  /** PEP 440-normalized version. */
  version: string;
  /** Expanded wheel tags ('py3-none-any', …); [] for an sdist. */
  tags: string[];
  /** The exact METADATA / PKG-INFO bytes, served later as the PEP 658 .metadata file. */
  metadataBytes: Buffer;
  metadata: CoreMetadata;
  requiresPython: string | null;
  /** Requires-Dist lines as written. */
  requiresDist: string[];
  /** Provides-Extra, normalized. */
  providesExtra: string[];
  summary: string | null;
  /** SPDX expression where one can be derived (License-Expression, License text, classifiers), else the raw text. */
  license: string | null;
  integrity: IntegrityReport;
}

export interface InspectOptions {
  /** The distribution filename when the file on disk is named otherwise (an upload's temp file). */
  filename?: string;
  limits: ArtifactLimits;
  /** When given, a file with another sha256 is refused with DIGEST_MISMATCH before it is opened. */
  expectedSha256?: string | undefined;
  /**
   * The file's digests as computed by whoever wrote it while writing (a download): the file is
   * then not read a second time to hash it. Only for files nobody else can write.
   */
  digests?: Digests | undefined;
}

export { inspectArtifact } from './inspect.js';
export { nativeUnavailable } from './native.js';
export { createInspector, type Inspector, inlineInspector } from './pool.js';
