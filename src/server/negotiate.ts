// PEP 691 content negotiation: the client's Accept header (with q-values and wildcards) or a
// `?format=` query parameter picks one of the three representations of a simple index page.

export type PageFormat = 'json' | 'html-v1' | 'html';

export const CONTENT_TYPES: Record<PageFormat, string> = {
  json: 'application/vnd.pypi.simple.v1+json',
  'html-v1': 'application/vnd.pypi.simple.v1+html',
  html: 'text/html; charset=utf-8',
};

// Server preference on equal q and specificity: JSON first (what pip asks for), then the
// versioned HTML, then plain HTML; except that a bare */* gets plain HTML (see below).
const CANDIDATES: { format: PageFormat; type: string; subtype: string; aliases: string[] }[] = [
  { format: 'json', type: 'application', subtype: 'vnd.pypi.simple.v1+json', aliases: ['vnd.pypi.simple.latest+json'] },
  { format: 'html-v1', type: 'application', subtype: 'vnd.pypi.simple.v1+html', aliases: ['vnd.pypi.simple.latest+html'] },
  { format: 'html', type: 'text', subtype: 'html', aliases: [] },
];

const FORMAT_ALIASES: Record<string, PageFormat> = {
  json: 'json',
  html: 'html',
  'application/vnd.pypi.simple.v1+json': 'json',
  'application/vnd.pypi.simple.latest+json': 'json',
  'application/vnd.pypi.simple.v1+html': 'html-v1',
  'application/vnd.pypi.simple.latest+html': 'html-v1',
  'text/html': 'html',
};

interface Range {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): Range[] {
  const ranges: Range[] = [];
  for (const part of header.split(',')) {
    const [media, ...params] = part.split(';');
    const [type, subtype] = (media ?? '').trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) q = Math.min(1, Math.max(0, Number(m[1]) || 0));
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

/**
 * The format to answer with, or undefined when nothing offered is acceptable (406). No Accept
 * header means text/html, as PEP 503 clients expect.
 */
export function negotiate(accept: string | undefined, format: string | undefined): PageFormat | undefined {
  // An unescaped '+' in a query string decodes to a space (form encoding), and people type
  // ?format=application/vnd.pypi.simple.v1+json as it is: no media type has a space.
  if (format !== undefined) return FORMAT_ALIASES[format.trim().toLowerCase().replace(/ /g, '+')];
  if (accept === undefined || accept.trim() === '') return 'html';
  const ranges = parseAccept(accept);
  let best: { format: PageFormat; q: number; specificity: number } | undefined;
  for (const c of CANDIDATES) {
    // The most specific matching range decides this candidate's q (RFC 9110 §12.5.1).
    let q = -1;
    let specificity = -1;
    for (const r of ranges) {
      let s = -1;
      if (r.type === c.type && (r.subtype === c.subtype || c.aliases.includes(r.subtype))) s = 2;
      else if (r.type === c.type && r.subtype === '*') s = 1;
      else if (r.type === '*' && r.subtype === '*') s = 0;
      if (s > specificity) {
        specificity = s;
        q = r.q;
      }
    }
    if (q <= 0) continue;
    const better =
      !best ||
      q > best.q ||
      (q === best.q && specificity > best.specificity) ||
      // A bare wildcard (curl's */*) gets plain HTML, the representation every client reads.
      (q === best.q && specificity === best.specificity && specificity === 0 && c.format === 'html');
    if (better) best = { format: c.format, q, specificity };
  }
  return best?.format;
}

// Clients send the same few Accept headers over and over: remember their answers (bounded).
const negotiated = new Map<string, PageFormat | undefined>();

/** negotiate(), remembering the answer for each Accept header. */
export function negotiateCached(accept: string | undefined, format: string | undefined): PageFormat | undefined {
  if (format !== undefined) return negotiate(undefined, format);
  const key = accept ?? '';
  let f = negotiated.get(key);
  if (f === undefined && !negotiated.has(key)) {
    f = negotiate(key, undefined);
    if (negotiated.size >= 256) negotiated.clear();
    negotiated.set(key, f);
  }
  return f;
}
