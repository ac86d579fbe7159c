// Small HTTP helpers shared by the page and file routes: conditional requests and encodings.

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

function parseAcceptsGzip(header: string): boolean {
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)/.exec(p)?.[1]).find((x) => x !== undefined);
    return q === undefined || Number(q) > 0;
  }
  return false;
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
