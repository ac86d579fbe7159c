// A client for PEP 503 / PEP 691 simple indexes: PyPI, another pyvet, a static tree on disk.
// JSON is asked for first; HTML is the fallback. Every link keeps what the index promises
// about the file (hashes, Requires-Python, yanked, PEP 658 metadata, PEP 700 size and upload
// time) so that mirroring can check the bytes it receives against it.
import { PyvetError } from '../errors.js';
import { canonicalizeName } from '../standards/names.js';
import { fetchText, redactUrl, type TransferOptions } from './http.js';

export interface UpstreamFile {
  filename: string;
  /** Absolute URL of the file (fragment removed). */
  url: string;
  /** Lowercase hex digests by algorithm name, e.g. {sha256: '…'}. */
  hashes: Record<string, string>;
  requiresPython: string | null;
  /** False, or the reason (true when none was given). */
  yanked: false | string | true;
  /** PEP 658/714: the index serves `<url>.metadata`; the hashes of that file when given. */
  coreMetadata: false | Record<string, string>;
  size: number | null;
  /** PEP 700 upload time (ISO 8601) when the index gives it. */
  uploadTime: string | null;
}

export interface UpstreamProjectPage {
  name: string;
  files: UpstreamFile[];
  /** PEP 700 versions, when given. */
  versions: string[] | null;
  /** The API version the index declared ('1.0', '1.1', …). */
  apiVersion: string | null;
}

const ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

/** The URL of a project's page under an index base URL (which may or may not end in '/'). */
export function projectUrl(indexUrl: string, project: string): string {
  const base = indexUrl.endsWith('/') ? indexUrl : `${indexUrl}/`;
  return new URL(`${canonicalizeName(project)}/`, base).toString();
}

/** Fetches and parses one project's page. Null when the index does not have the project. */
export async function fetchProjectPage(
  indexUrl: string,
  project: string,
  opts: TransferOptions = {},
): Promise<UpstreamProjectPage | null> {
  const url = projectUrl(indexUrl, project);
  const doc = await fetchText(url, { ...opts, headers: { accept: ACCEPT, ...opts.headers } });
  if (!doc) return null;
  if (/application\/vnd\.pypi\.simple\.v\d+\+json/.test(doc.contentType) || doc.text.trimStart().startsWith('{')) {
    return parseJsonProjectPage(doc.text, doc.url);
  }
  return parseHtmlProjectPage(doc.text, doc.url, canonicalizeName(project));
}

function lowerHashes(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (h && typeof h === 'object') {
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      if (typeof v === 'string') out[k.toLowerCase()] = v.toLowerCase();
    }
  }
  return out;
}

function metadataField(v: unknown): false | Record<string, string> {
  if (v === true) return {};
  if (v && typeof v === 'object') return lowerHashes(v);
  return false;
}

/** PEP 691 JSON. Relative URLs resolve against the page's URL. */
export function parseJsonProjectPage(text: string, pageUrl: string): UpstreamProjectPage {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new PyvetError('UPSTREAM_BAD_INDEX', 'upstream', `${redactUrl(pageUrl)}: invalid JSON (${(err as Error).message})`);
  }
  const meta = (doc.meta ?? {}) as Record<string, unknown>;
  const apiVersion = typeof meta['api-version'] === 'string' ? (meta['api-version'] as string) : null;
  if (apiVersion && !apiVersion.startsWith('1.')) {
    throw new PyvetError('UPSTREAM_BAD_INDEX', 'upstream', `${redactUrl(pageUrl)}: unsupported simple API version ${apiVersion}`);
  }
  if (!Array.isArray(doc.files) || typeof doc.name !== 'string') {
    throw new PyvetError('UPSTREAM_BAD_INDEX', 'upstream', `${redactUrl(pageUrl)}: not a PEP 691 project page`);
  }
  const files: UpstreamFile[] = [];
  for (const raw of doc.files as Record<string, unknown>[]) {
    if (typeof raw.filename !== 'string' || typeof raw.url !== 'string') continue;
    const url = new URL(raw.url, pageUrl);
    url.hash = '';
    const yanked = raw.yanked;
    files.push({
      filename: raw.filename,
      url: url.toString(),
      hashes: lowerHashes(raw.hashes),
      requiresPython: typeof raw['requires-python'] === 'string' ? (raw['requires-python'] as string) : null,
      yanked: typeof yanked === 'string' ? yanked || true : yanked === true,
      coreMetadata: metadataField(raw['core-metadata'] ?? raw['dist-info-metadata'] ?? raw['data-dist-info-metadata']),
      size: typeof raw.size === 'number' ? raw.size : null,
      uploadTime: typeof raw['upload-time'] === 'string' ? (raw['upload-time'] as string) : null,
    });
  }
  const versions = Array.isArray(doc.versions) ? (doc.versions as unknown[]).filter((v) => typeof v === 'string') : null;
  return { name: doc.name, files, versions: versions as string[] | null, apiVersion };
}

const ANCHOR = /<a\s([^>]*)>([\s\S]*?)<\/a\s*>/gi;
const ATTRIBUTE = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
const META_VERSION = /<meta\s+name=["']pypi:repository-version["']\s+content=["']([^"']+)["']/i;

/** Decodes the HTML character references an index page may use in attributes and text. */
export function decodeHtml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_m, ref: string) => {
    const r = ref.toLowerCase();
    if (r === 'amp') return '&';
    if (r === 'lt') return '<';
    if (r === 'gt') return '>';
    if (r === 'quot') return '"';
    if (r === 'apos' || r === '#39') return "'";
    const code = r.startsWith('#x') ? Number.parseInt(r.slice(2), 16) : Number.parseInt(r.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : '';
  });
}

function parseHashFragment(hash: string): Record<string, string> {
  const m = /^#?([a-z0-9_]+)=([0-9a-f]+)$/i.exec(hash);
  return m ? { [m[1]!.toLowerCase()]: m[2]!.toLowerCase() } : {};
}

/** PEP 503 HTML (with the PEP 592/658/714 data attributes). */
export function parseHtmlProjectPage(text: string, pageUrl: string, name: string): UpstreamProjectPage {
  const meta = META_VERSION.exec(text);
  const apiVersion = meta ? meta[1]! : null;
  if (apiVersion && !apiVersion.startsWith('1.')) {
    throw new PyvetError('UPSTREAM_BAD_INDEX', 'upstream', `${redactUrl(pageUrl)}: unsupported simple API version ${apiVersion}`);
  }
  const files: UpstreamFile[] = [];
  for (const m of text.matchAll(ANCHOR)) {
    const attrs: Record<string, string | true> = {};
    for (const a of m[1]!.matchAll(ATTRIBUTE)) {
      const value = a[2] ?? a[3] ?? a[4];
      attrs[a[1]!.toLowerCase()] = value === undefined ? true : decodeHtml(value);
    }
    const href = attrs.href;
    if (typeof href !== 'string') continue;
    const url = new URL(href, pageUrl);
    const hashes = parseHashFragment(url.hash);
    url.hash = '';
    const filename = decodeURIComponent(url.pathname.split('/').pop() ?? '') || decodeHtml(m[2]!.trim());
    const yanked = attrs['data-yanked'];
    const md = attrs['data-core-metadata'] ?? attrs['data-dist-info-metadata'];
    files.push({
      filename,
      url: url.toString(),
      hashes,
      requiresPython: typeof attrs['data-requires-python'] === 'string' ? attrs['data-requires-python'] : null,
      yanked: yanked === undefined ? false : yanked === true || yanked === '' ? true : yanked,
      coreMetadata: md === undefined || md === 'false' ? false : md === true || md === 'true' ? {} : parseHashFragment(md),
      size: null,
      uploadTime: null,
    });
  }
  return { name, files, versions: null, apiVersion };
}
