// The simple index, rendered once per catalog change and served from memory. Every page (and the
// approved-file lookups behind /files/) is cached under the catalog serial it was rendered at;
// when `files.serial()` moves, the whole cache is dropped. The cache is an LRU bounded by bytes.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FileRecord, ProjectSummary } from '../catalog/types.js';
import type { Repository } from '../repository/types.js';
import { ByteLru } from './lru.js';
import { CONTENT_TYPES, type PageFormat } from './negotiate.js';
import { renderProjectHtml, renderProjectJson, renderRootHtml, renderRootJson } from './render.js';

export interface Page {
  body: Buffer;
  /** The gzip form, when it is smaller. */
  gzip: Buffer | undefined;
  /** Strong ETag of `body`; the gzip form's is the same with a '-gz' suffix inside the quotes. */
  etag: string;
  etagGzip: string;
  contentType: string;
}

/** What the files route needs to know about an approved file. */
export type ServedFile = Pick<FileRecord, 'filename' | 'sha256' | 'size' | 'kind' | 'metadataSha256'> & {
  /** The upload time as an HTTP date, for Last-Modified. */
  lastModified: string;
};

const APPROVED = ['approved'] as const;
// Bodies smaller than this are not worth compressing.
const GZIP_MIN_BYTES = 256;
// Rough per-entry overhead (key, object, map slot) so that many tiny entries still count.
const ENTRY_OVERHEAD = 256;

function makePage(text: string, format: PageFormat): Page {
  const body = Buffer.from(text, 'utf8');
  const gz = body.length >= GZIP_MIN_BYTES ? gzipSync(body) : undefined;
  const tag = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return {
    body,
    gzip: gz && gz.length < body.length ? gz : undefined,
    etag: `"${tag}"`,
    etagGzip: `"${tag}-gz"`,
    contentType: CONTENT_TYPES[format],
  };
}

export class SimpleIndex {
  private readonly cache: ByteLru<Page | ServedFile | null>;
  private serial = -1;
  private checking: Promise<void> | undefined;
  private approvedProjects: Promise<Map<string, ProjectSummary>> | undefined;

  constructor(
    private readonly repo: Repository,
    maxBytes: number,
  ) {
    this.cache = new ByteLru(maxBytes);
  }

  get stats(): { hits: number; misses: number; entries: number; bytes: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, entries: this.cache.size, bytes: this.cache.bytes };
  }

  /** Drops the cache when the catalog changed since the pages were rendered. */
  async sync(): Promise<void> {
    // Requests that arrive while a check is running share it: under load this turns one query
    // per request into one per burst. A change is thus seen at most one (sub-millisecond) check late.
    this.checking ??= this.check().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async check(): Promise<void> {
    const serial = await this.repo.catalog.files.serial();
    if (serial !== this.serial) {
      this.cache.clear();
      this.approvedProjects = undefined;
      this.serial = serial;
    }
  }

  /** Projects with an approved file, by name, loaded once per serial (the root page and 404s use it). */
  private projects(): Promise<Map<string, ProjectSummary>> {
    this.approvedProjects ??= this.repo.catalog.files
      .listProjects([...APPROVED])
      .then((list) => new Map(list.map((p) => [p.name, p])))
      .catch((err: unknown) => {
        this.approvedProjects = undefined;
        throw err;
      });
    return this.approvedProjects;
  }

  async root(format: PageFormat): Promise<Page> {
    await this.sync();
    const key = `root:${format}`;
    const hit = this.cache.get(key) as Page | undefined;
    if (hit) return hit;
    const serial = this.serial;
    const projects = [...(await this.projects()).values()];
    const page = makePage(format === 'json' ? renderRootJson(projects, serial) : renderRootHtml(projects), format);
    this.store(key, page, serial);
    return page;
  }

  /** The page of a normalized project name, or null when it has no approved file. */
  async project(name: string, format: PageFormat): Promise<Page | null> {
    await this.sync();
    const key = `project:${format}:${name}`;
    const hit = this.cache.get(key) as Page | null | undefined;
    if (hit !== undefined) return hit;
    const serial = this.serial;
    const summary = (await this.projects()).get(name);
    const files = summary ? await this.repo.catalog.files.list({ project: name, states: [...APPROVED] }) : [];
    let page: Page | null = null;
    if (summary && files.length > 0) {
      const baseUrl = this.repo.config.server.base_url?.replace(/\/+$/, '') ?? null;
      page = makePage(
        format === 'json'
          ? renderProjectJson(name, summary.lastSerial, files, baseUrl)
          : renderProjectHtml(name, files, baseUrl),
        format,
      );
    }
    this.store(key, page, serial);
    return page;
  }

  /** The approved file with this name and digest, or null (unknown, other bytes, not approved). */
  async file(filename: string, sha256: string): Promise<ServedFile | null> {
    await this.sync();
    const key = `file:${filename}`;
    let f = this.cache.get(key) as ServedFile | null | undefined;
    if (f === undefined) {
      const serial = this.serial;
      const rec = await this.repo.catalog.files.getByFilename(filename);
      f =
        rec && rec.state === 'approved'
          ? {
              filename: rec.filename,
              sha256: rec.sha256,
              size: rec.size,
              kind: rec.kind,
              metadataSha256: rec.metadataSha256,
              lastModified: new Date(rec.uploadedAt).toUTCString(),
            }
          : null;
      this.store(key, f, serial);
    }
    return f && f.sha256 === sha256 ? f : null;
  }

  /** Caches unless the catalog moved while rendering (the result may mix two states). */
  private store(key: string, value: Page | ServedFile | null, renderedAt: number): void {
    if (renderedAt !== this.serial) return;
    const bytes =
      value && 'body' in value ? value.body.length + (value.gzip?.length ?? 0) + ENTRY_OVERHEAD : ENTRY_OVERHEAD + key.length;
    this.cache.set(key, value, bytes);
  }
}
