// Rendering of the simple index (PEP 503 HTML, PEP 691 JSON) with PEP 592 yanking, PEP 658/714
// core metadata and PEP 700 versions/size/upload-time. Pure: catalog records in, text out.
import type { FileRecord, IndexedFile, ProjectSummary } from '../catalog/types.js';

export const API_VERSION = '1.1';

/** The stable download path of a file: content-addressed, and it ends with the filename. */
export function filePath(f: Pick<FileRecord, 'sha256' | 'filename'>): string {
  return `/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${encodeURIComponent(f.filename)}`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function page(title: string, body: string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html>',
    '  <head>',
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    `    <title>${escapeHtml(title)}</title>`,
    '  </head>',
    '  <body>',
    `    <h1>${escapeHtml(title)}</h1>`,
    ...body.map((l) => `    ${l}`),
    '  </body>',
    '</html>',
    '',
  ].join('\n');
}

export function renderRootHtml(projects: ProjectSummary[]): string {
  return page(
    'Simple index',
    projects.map((p) => `<a href="${escapeHtml(encodeURIComponent(p.name))}/">${escapeHtml(p.displayName)}</a><br />`),
  );
}

// No `_last-serial` (optional and private in PEP 691): it moves with every upload into
// quarantine, which would tell anonymous readers what waits for review.
export function renderRootJson(projects: ProjectSummary[]): string {
  return JSON.stringify({
    meta: { 'api-version': API_VERSION },
    projects: projects.map((p) => ({ name: p.displayName })),
  });
}

/**
 * The digest of the core metadata served beside a file (PEP 658), or null when none is. Only a
 * wheel's METADATA is what installing it uses: an sdist's PKG-INFO may leave Requires-Dist out
 * (before Metadata-Version 2.2 nothing says it is complete, and after it may be Dynamic), and
 * pip resolves from the served metadata without building, so it would install without those
 * dependencies. PyPI serves it for wheels only, for the same reason.
 */
export function servedMetadataSha256(f: Pick<IndexedFile, 'kind' | 'metadataSha256'>): string | null {
  return f.kind === 'wheel' ? f.metadataSha256 : null;
}

/** Links are relative to /simple/<project>/ so that pages do not depend on the Host header. */
function href(f: IndexedFile, baseUrl: string | null): string {
  return `${baseUrl ?? '../..'}${filePath(f)}#sha256=${f.sha256}`;
}

export function renderProjectHtml(name: string, files: IndexedFile[], baseUrl: string | null): string {
  return page(
    `Links for ${name}`,
    files.map((f) => {
      let attrs = `href="${escapeHtml(href(f, baseUrl))}"`;
      if (f.requiresPython) attrs += ` data-requires-python="${escapeHtml(f.requiresPython)}"`;
      const metadataSha256 = servedMetadataSha256(f);
      if (metadataSha256) {
        // PEP 714 renamed the attribute; old pip only reads the PEP 658 one, so emit both as PyPI does.
        const v = `sha256=${metadataSha256}`;
        attrs += ` data-dist-info-metadata="${v}" data-core-metadata="${v}"`;
      }
      if (f.yanked) attrs += ` data-yanked="${escapeHtml(f.yankedReason ?? '')}"`;
      return `<a ${attrs}>${escapeHtml(f.filename)}</a><br />`;
    }),
  );
}

export function renderProjectJson(name: string, files: IndexedFile[], baseUrl: string | null): string {
  const versions = [...new Set(files.map((f) => f.version))];
  return JSON.stringify({
    meta: { 'api-version': API_VERSION },
    name,
    versions,
    files: files.map((f) => {
      const metadataSha256 = servedMetadataSha256(f);
      const metadata = metadataSha256 ? { sha256: metadataSha256 } : false;
      return {
        filename: f.filename,
        url: href(f, baseUrl).split('#')[0],
        hashes: { sha256: f.sha256 },
        'requires-python': f.requiresPython,
        'core-metadata': metadata,
        'dist-info-metadata': metadata,
        yanked: f.yanked ? f.yankedReason || true : false,
        size: f.size,
        'upload-time': f.uploadedAt,
      };
    }),
  });
}
