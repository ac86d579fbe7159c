// The simple index, rendered on first request and served from memory. Every page (and the
// approved-file lookups behind /files/) is cached with the catalog serial it is current at; when
// `files.serial()` moves, a project page stays while its project's last serial has not moved,
// everything else is looked up again. The cache is an LRU bounded by bytes.
//
// Pages keep only the encodings clients asked for (pip always asks for gzip, so usually only the
// gzip form, a fifth of the plain one), and each form carries its response header list, built
// once, so that a hit costs no more than writing it.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { FileRecord, ProjectSummary } from '../catalog/types.js';
import type { Repository } from '../repository/types.js';
import { ByteLru } from './lru.js';
import { CONTENT_TYPES, type PageFormat } from './negotiate.js';
import { renderProjectHtml, renderProjectJson, renderRootHtml, renderRootJson, servedMetadataSha256 } from './render.js';

const APPROVED = ['approved'] as const;
// Bodies smaller than this are not worth compressing.
const GZIP_MIN_BYTES = 256;
// Per-entry memory besides the bodies (the objects, header lists, strings, map slot), as measured
// (heap growth per cached page at 10 k pages), so that the byte bound is a bound on memory.
const PAGE_OVERHEAD = 1280;
const FILE_OVERHEAD = 1024;
/** Every answer of a page URL varies with these (406s too). */
export const PAGE_VARY = 'Accept, Accept-Encoding';
const PAGE_CACHE_CONTROL = 'no-cache';
// Files never change under their URL. Readable by anyone, shared caches (a proxy, a CDN) may keep
// them; when reading needs a token they must not (RFC 9111 §3.5: `public` would let a shared
// cache answer others with what an authorized request fetched).
const FILE_CACHE_CONTROL = { open: 'public, max-age=31536000, immutable', restricted: 'private, max-age=31536000, immutable' };

/** A copy that owns exactly its bytes: zlib output and small Buffers are views into larger pooled blocks. */
function compact(buf: Buffer): Buffer {
  if (buf.byteOffset === 0 && buf.buffer.byteLength === buf.length) return buf;
  const own = Buffer.allocUnsafeSlow(buf.length);
  buf.copy(own);
  return own;
}

function utf8(text: string): Buffer {
  const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  buf.write(text);
  return buf;
}

/** One encoding of a page, ready to write: the body and its 200 and 304 header lists. */
export interface PageForm {
  body: Buffer;
  etag: string;
  headers: string[];
  notModified: string[];
}

/** A rendered index page in the encodings asked for so far (at least one is held). */
export class Page {
  /** Strong ETag of the plain body; the gzip form's is the same with '-gz' inside the quotes. */
  readonly etag: string;
  readonly etagGzip: string;
  private plainForm: PageForm | undefined;
  /** undefined: not compressed yet; null: compression does not pay. */
  private gzipForm: PageForm | null | undefined;
  /** Some client asked for the plain form: keep it. */
  private plainAsked = false;

  constructor(
    readonly key: string,
    body: Buffer,
    readonly contentType: string,
  ) {
    // A strong validator names one representation (RFC 9110 §8.8.3): text/html and the PEP 691
    // HTML type have the same bytes, so the type goes into the tag too.
    const tag = createHash('sha256').update(contentType).update('\n').update(body).digest('base64url').slice(0, 27);
    this.etag = `"${tag}"`;
    this.etagGzip = `"${tag}-gz"`;
    this.plainForm = this.form(body, false);
    if (body.length < GZIP_MIN_BYTES) this.gzipForm = null;
  }

  /** Bytes held, for the cache bound. */
  get bytes(): number {
    return PAGE_OVERHEAD + (this.plainForm?.body.length ?? 0) + (this.gzipForm?.body.length ?? 0);
  }

  /**
   * The gzip form when `gzip` is asked and compression pays, else the plain form; a form not
   * held yet is made (once) from the other. The plain form is dropped while only gzip is asked for.
   */
  get(gzip: boolean): PageForm {
    if (gzip) {
      if (this.gzipForm === undefined) {
        const plain = this.plain();
        const gz = gzipSync(plain.body);
        this.gzipForm = gz.length < plain.body.length ? this.form(compact(gz), true) : null;
      }
      if (this.gzipForm) {
        if (!this.plainAsked) this.plainForm = undefined;
        return this.gzipForm;
      }
    }
    this.plainAsked = true;
    return this.plain();
  }

  private plain(): PageForm {
    this.plainForm ??= this.form(compact(gunzipSync(this.gzipForm!.body)), false);
    return this.plainForm;
  }

  private form(body: Buffer, gzip: boolean): PageForm {
    const etag = gzip ? this.etagGzip : this.etag;
    const notModified = ['vary', PAGE_VARY, 'cache-control', PAGE_CACHE_CONTROL, 'etag', etag];
    const headers = [...notModified, 'content-type', this.contentType];
    if (gzip) headers.push('content-encoding', 'gzip');
    headers.push('content-length', String(body.length));
    return { body, etag, headers, notModified };
  }
}

/** A downloadable representation (a distribution file or its .metadata) with its 200 and 304 header lists. */
export interface Download {
  sha256: string;
  size: number;
  contentType: string;
  etag: string;
  /** Last-Modified in milliseconds, for If-Modified-Since. */
  modifiedMs: number;
  /** The headers every answer carries (ETag, Last-Modified, caching, Accept-Ranges): a 304 sends only these. */
  common: string[];
  /** A full 200's headers: `common` plus type and length. */
  headers: string[];
}

export function makeDownload(sha256: string, size: number, contentType: string, lastModified: string, cacheControl: string): Download {
  const etag = `"${sha256}"`;
  const common = ['etag', etag, 'last-modified', lastModified, 'cache-control', cacheControl, 'accept-ranges', 'bytes'];
  return {
    sha256,
    size,
    contentType,
    etag,
    modifiedMs: Date.parse(lastModified),
    common,
    headers: [...common, 'content-type', contentType, 'content-length', String(size)],
  };
}

/** What the files route needs to know about an approved file. */
export type ServedFile = Pick<FileRecord, 'filename' | 'sha256' | 'size' | 'kind' | 'metadataSha256'> & {
  /** The upload time as an HTTP date, for Last-Modified. */
  lastModified: string;
  /** Its Cache-Control, and its .metadata's. */
  cacheControl: string;
  download: Download;
  /** The core metadata's representation, once its size is known (set on the first .metadata request). */
  metadata?: Download;
};

function contentTypeOf(f: Pick<FileRecord, 'kind' | 'filename'>): string {
  if (f.kind === 'wheel' || f.filename.endsWith('.zip')) return 'application/zip';
  return 'application/gzip';
}

/** A cache entry, and how to tell whether it is still current once the catalog serial moved. */
interface Entry {
  value: Page | ServedFile | null;
  /** The catalog serial it is known to be current at. */
  validAt: number;
  /**
   * For a project page (or a project's absence): the project and its last serial when rendered
   * (undefined: it had no approved file). Every change to a project's files moves its last serial,
   * so the page stays current while that does not move. Other entries live for one serial.
   */
  project?: { name: string; lastSerial: number | undefined };
}

export class SimpleIndex {
  private readonly cache: ByteLru<Entry>;
  private serial = -1;
  /** The serial was read during this turn of the event loop (see sync). */
  private fresh = false;
  private readonly stale = () => {
    this.fresh = false;
  };
  private checking: Promise<void> | undefined;
  private approvedProjects: Promise<Map<string, ProjectSummary>> | undefined;
  private readonly baseUrl: string | null;
  private readonly fileCacheControl: string;
  private readonly current = (e: Entry) => e.validAt === this.serial;

  constructor(
    private readonly repo: Repository,
    maxBytes: number,
  ) {
    this.cache = new ByteLru(maxBytes);
    this.baseUrl = repo.config.server.base_url?.replace(/\/+$/, '') ?? null;
    this.fileCacheControl = repo.config.server.anonymous_read ? FILE_CACHE_CONTROL.open : FILE_CACHE_CONTROL.restricted;
  }

  get stats(): { hits: number; misses: number; entries: number; bytes: number } {
    return { hits: this.cache.hits, misses: this.cache.misses, entries: this.cache.size, bytes: this.cache.bytes };
  }

  /**
   * Reads the catalog serial, at most once per turn of the event loop: requests handled in the
   * same turn arrived together, so none of them can have been sent after a change that this
   * turn's read did not see; and requests that arrive while a read is running share it.
   */
  async sync(): Promise<void> {
    if (this.fresh) return;
    this.checking ??= this.check().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  /** Whether cached entries may be used without calling sync() first. */
  get isFresh(): boolean {
    return this.fresh;
  }

  private async check(): Promise<void> {
    const serial = await this.repo.catalog.files.serial();
    if (serial !== this.serial) {
      // Entries are checked one by one when next asked for (see entry()): a change to one
      // project (an upload into quarantine, say) re-renders that project's pages only.
      this.approvedProjects = undefined;
      this.serial = serial;
    }
    if (!this.fresh) {
      this.fresh = true;
      setImmediate(this.stale);
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

  /**
   * A cached value current at this serial, without reading the serial: only call when isFresh.
   * undefined when there is none (a miss is not counted: the caller falls back to the methods below).
   */
  cached(key: string): Page | ServedFile | null | undefined {
    return this.cache.getIfPresent(key, this.current)?.value;
  }

  static rootKey(format: PageFormat): string {
    return `root:${format}`;
  }

  static projectKey(name: string, format: PageFormat): string {
    return `project:${format}:${name}`;
  }

  static fileKey(filename: string): string {
    return `file:${filename}`;
  }

  async root(format: PageFormat): Promise<Page> {
    await this.sync();
    const key = SimpleIndex.rootKey(format);
    const hit = this.cache.get(key, this.current);
    if (hit) return hit.value as Page;
    const serial = this.serial;
    const projects = [...(await this.projects()).values()];
    const page = new Page(key, utf8(format === 'json' ? renderRootJson(projects) : renderRootHtml(projects)), CONTENT_TYPES[format]);
    this.store(key, { value: page, validAt: serial });
    return page;
  }

  /** The page of a normalized project name, or null when it has no approved file. */
  async project(name: string, format: PageFormat): Promise<Page | null> {
    await this.sync();
    const serial = this.serial;
    const key = SimpleIndex.projectKey(name, format);
    let hit = this.cache.getIfPresent(key, this.current);
    if (!hit) {
      const projects = await this.projects();
      // Rendered at an earlier serial: still current if its project's last serial did not move
      // (and the catalog serial did not move while the projects were read).
      hit = this.cache.get(key, (e) => {
        if (e.validAt === this.serial) return true;
        if (serial !== this.serial || e.project === undefined || projects.get(name)?.lastSerial !== e.project.lastSerial) return false;
        e.validAt = serial;
        return true;
      });
    }
    if (hit) return hit.value as Page | null;
    const summary = (await this.projects()).get(name);
    const files = summary ? await this.repo.catalog.files.listIndexed(name) : [];
    let page: Page | null = null;
    if (summary && files.length > 0) {
      const text =
        format === 'json'
          ? renderProjectJson(name, files, this.baseUrl)
          : renderProjectHtml(name, files, this.baseUrl);
      page = new Page(key, utf8(text), CONTENT_TYPES[format]);
    }
    this.store(key, { value: page, validAt: serial, project: { name, lastSerial: summary?.lastSerial } });
    return page;
  }

  /** The form of `page` to send (see Page.get); the cache accounts for what the page holds now. */
  form(page: Page, gzip: boolean): PageForm {
    const before = page.bytes;
    const form = page.get(gzip);
    if (page.bytes !== before) this.cache.resize(page.key, page.bytes, (e) => e.value === page);
    return form;
  }

  /** The approved file with this name and digest, or null (unknown, other bytes, not approved). */
  async file(filename: string, sha256: string): Promise<ServedFile | null> {
    await this.sync();
    const key = SimpleIndex.fileKey(filename);
    let f = this.cache.get(key, this.current)?.value as ServedFile | null | undefined;
    if (f === undefined) {
      const serial = this.serial;
      const rec = await this.repo.catalog.files.getByFilename(filename);
      f = rec && rec.state === 'approved' ? servedFile(rec, this.fileCacheControl) : null;
      this.store(key, { value: f, validAt: serial });
    }
    return f && f.sha256 === sha256 ? f : null;
  }

  /** Caches unless the catalog moved while rendering (the result may mix two states). */
  private store(key: string, e: Entry): void {
    if (e.validAt !== this.serial) return;
    const bytes = e.value instanceof Page ? e.value.bytes : FILE_OVERHEAD + key.length;
    this.cache.set(key, e, bytes);
  }
}

function servedFile(rec: FileRecord, cacheControl: string): ServedFile {
  const lastModified = new Date(rec.uploadedAt).toUTCString();
  return {
    filename: rec.filename,
    sha256: rec.sha256,
    size: rec.size,
    kind: rec.kind,
    // The .metadata URL exists exactly when the pages link it.
    metadataSha256: servedMetadataSha256(rec),
    lastModified,
    cacheControl,
    download: makeDownload(rec.sha256, rec.size, contentTypeOf(rec), lastModified, cacheControl),
  };
}
