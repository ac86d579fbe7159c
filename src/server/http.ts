// Small HTTP helpers shared by the page and file routes: conditional requests and encodings,
// and the request target as it may be logged.
import { TOKEN_IN_TEXT } from '../repository/tokens.js';

/** Whether an If-None-Match header names one of `tags` (or is `*`). */
export function etagMatches(header: string | undefined, ...tags: string[]): boolean {
  if (!header) return false;
  for (const raw of header.split(',')) {
    const t = raw.trim().replace(/^W\//, '');
    if (t === '*' || tags.includes(t)) return true;
  }
  return false;
}

/**
 * Whether an If-Match header passes (RFC 9110 §13.1.1): absent, '*', or one of the tags by
 * strong comparison (a weak tag never matches).
 */
export function ifMatchPasses(header: string | undefined, ...tags: string[]): boolean {
  if (header === undefined) return true;
  for (const raw of header.split(',')) {
    const t = raw.trim();
    if (t === '*' || tags.includes(t)) return true;
  }
  return false;
}

const gzipAnswers = new Map<string, boolean>();

/** Whether Accept-Encoding allows gzip (present and not q=0); clients repeat a few headers, so answers are remembered. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let yes = gzipAnswers.get(header);
  if (yes === undefined) {
    yes = parseAcceptsGzip(header);
    if (gzipAnswers.size >= 256) gzipAnswers.clear();
    gzipAnswers.set(header, yes);
  }
  return yes;
}

/**
 * RFC 9110 §12.5.3: an explicit gzip entry decides, whatever its place in the list; `*` only
 * speaks for codings not listed. A q that is not a number counts as 0 (plain is always safe).
 */
function parseAcceptsGzip(header: string): boolean {
  let gzip: number | undefined;
  let any: number | undefined;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.split(';');
    const c = coding.trim().toLowerCase();
    const explicit = c === 'gzip' || c === 'x-gzip';
    if (!explicit && c !== '*') continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*(\S*)\s*$/i.exec(p);
      if (m) q = Number(m[1]) || 0;
    }
    if (explicit) gzip = Math.max(gzip ?? 0, q);
    else any = Math.max(any ?? 0, q);
  }
  return (gzip ?? any ?? 0) > 0;
}

/** The single byte range asked for, 'unsatisfiable', or undefined to send everything. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges (or a malformed header) may be answered with the whole file (RFC 9110 §14.2).
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (end < start) return m[2] !== '' && Number(m[2]) < start ? undefined : 'unsatisfiable';
  }
  if (start >= size) return 'unsatisfiable';
  return { start, end };
}

// An absolute-form request target (RFC 9112 §3.2.2) may carry user:password@ before the host.
const USERINFO = /^([a-z][a-z\d+.-]*:\/\/)[^/?#]*@/i;
// Escaped unreserved characters (RFC 3986 §2.3) mean the same URL decoded: a token so spelled is
// still a token.
const ESCAPED_UNRESERVED = /%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2d|2e|5f|7e)/gi;
const decodeEscape = (e: string) => String.fromCharCode(Number.parseInt(e.slice(1), 16));

/**
 * The request target as logs may show it: without the userinfo of an absolute-form target and
 * with every pyvet token (in the path or the query, escaped or not) redacted. Only for logging:
 * it costs a scan of the URL.
 */
export function loggableUrl(url: string): string {
  let u = url.charCodeAt(0) === 0x2f ? url : url.replace(USERINFO, '$1');
  if (u.includes('%')) {
    const decoded = u.replace(ESCAPED_UNRESERVED, decodeEscape);
    if (decoded.includes('pyvet_')) u = decoded;
  }
  return u.includes('pyvet_') ? u.replace(TOKEN_IN_TEXT, '[redacted]') : u;
}
