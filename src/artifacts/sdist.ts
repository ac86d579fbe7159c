// Source distributions (.tar.gz, or the older .zip): every member under one top directory
// named after the project and version, PKG-INFO directly in it, no links, and every member
// read through so that the limits see all of its bytes.
import type { IntegrityReport } from '../catalog/types.js';
import type { SdistFilename } from '../standards/filenames.js';
import { artifactError } from './errors.js';
import type { ArtifactLimits } from './limits.js';
import { checkMetadata, type ReadMetadata, stemNames } from './metadata.js';
import { printable } from './paths.js';
import { readTarGz } from './tar.js';
import { ZipArchive } from './zip.js';

export interface SdistResult extends ReadMetadata {
  metadataBytes: Buffer;
}


/** Checks each member path against the single top directory, fixed by the first member. */
class Layout {
  top: string | undefined;
  constructor(
    private readonly filename: string,
    private readonly parsed: SdistFilename,
  ) {}

  add(path: string, isDirectory: boolean): void {
    const slash = path.indexOf('/');
    const top = slash < 0 ? path : path.slice(0, slash);
    if (this.top === undefined) {
      if (!stemNames(top, this.parsed)) {
        throw artifactError(
          'SDIST_LAYOUT',
          this.filename,
          `top directory '${printable(top)}' is not <name>-<version> of ${this.parsed.name} ${this.parsed.version.toString()}`,
          { member: printable(path) },
        );
      }
      this.top = top;
    }
    if (top !== this.top || (slash < 0 && !isDirectory)) {
      throw artifactError('SDIST_LAYOUT', this.filename, `member '${printable(path)}' is not inside the top directory '${this.top}/'`, {
        member: printable(path),
      });
    }
  }

  pkgInfo(): string {
    return `${this.top}/PKG-INFO`;
  }
}

export async function inspectSdist(
  path: string,
  filename: string,
  parsed: SdistFilename,
  limits: ArtifactLimits,
  integrity: IntegrityReport,
  bytes?: Buffer,
): Promise<SdistResult> {
  const layout = new Layout(filename, parsed);
  const tooLarge = () =>
    artifactError('METADATA_TOO_LARGE', filename, `${layout.pkgInfo()} is larger than ${limits.maxMetadataBytes} bytes`, {
      limit: limits.maxMetadataBytes,
    });
  let members = 0;
  let inflated = 0;
  let collisions: ReturnType<ZipArchive['pathCollisions']> | undefined;
  let pkgInfo: Buffer | undefined;
  if (filename.endsWith('.zip')) {
    const zip = await ZipArchive.open(path, filename, limits, bytes);
    try {
      for (const m of zip.members) layout.add(m.path, m.isDirectory);
      for (const m of zip.members) {
        if (m.isDirectory) continue;
        if (m.path === layout.pkgInfo()) pkgInfo = await zip.readBytes(m, limits.maxMetadataBytes, tooLarge);
        else await zip.read(m);
      }
      members = zip.members.length;
      inflated = zip.inflatedBytes;
      collisions = zip.pathCollisions();
    } finally {
      await zip.close();
    }
  } else {
    const tar = await readTarGz(
      bytes ?? path,
      filename,
      limits,
      (m) => {
        layout.add(m.path, m.isDirectory);
        members++;
      },
      { limit: (m) => (m.path === layout.pkgInfo() ? limits.maxMetadataBytes : undefined), tooLarge },
    );
    pkgInfo = tar.captured.get(layout.pkgInfo());
    inflated = tar.inflatedBytes;
    collisions = tar.names.check();
  }
  if (layout.top === undefined) throw artifactError('SDIST_LAYOUT', filename, 'is an empty archive');
  integrity.checks.push({ check: 'archive', ok: true, detail: `${members} members, ${inflated} bytes inflated, within limits` });
  integrity.checks.push({ check: 'sdist-layout', ok: true, detail: `all under ${layout.top}/` });
  if (collisions) integrity.checks.push(collisions);
  if (pkgInfo === undefined) throw artifactError('METADATA_MISSING', filename, `has no ${layout.pkgInfo()}`);
  return { ...checkMetadata(filename, layout.pkgInfo(), pkgInfo, parsed, integrity), metadataBytes: pkgInfo };
}
