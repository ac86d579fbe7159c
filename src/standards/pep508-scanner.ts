// The PEP 508 tokenizer and marker grammar shared by markers.ts and requirements.ts (internal:
// not re-exported from index.ts). It reproduces packaging 26.2's regex tokenizer (packaging/_tokenizer.py) rule by rule,
// including the Python `re` semantics a JS regex would get wrong: `\b` and `\w` are Unicode-aware,
// `\s` is Python's whitespace set, and `$` also matches before one trailing newline.

import { Specifier } from './specifiers.js';

/** A syntax error at a span of the source; the public parsers turn it into their typed error. */
export class SyntaxFault {
  constructor(
    readonly message: string,
    readonly source: string,
    readonly start: number,
    readonly end: number,
  ) {}

  /** packaging's ParserSyntaxError text: message, the source, and a `~~~^` marker under the span. */
  format(): string {
    // Python indexes strings by code point; count columns the same way.
    const col = (i: number) => codePointLength(this.source.slice(0, i));
    const start = col(this.start);
    const end = col(this.end);
    return `${this.message}\n    ${this.source}\n    ${' '.repeat(start)}${'~'.repeat(end - start)}^`;
  }
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// Python's `\w` for str patterns (str.isalnum() or '_') equals \p{L}\p{N}_ (checked for every code point).
const WORD = /[\p{L}\p{N}_]/u;
const isWordCode = (c: number): boolean =>
  c < 128 ? (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 : WORD.test(String.fromCodePoint(c));

// Python's `\s` for str patterns: str.isspace(), which differs from JS `\s` (\x1c-\x1f, \x85; no \ufeff).
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

// packaging's Specifier._specifier_regex_str, compiled with IGNORECASE. Python applies Unicode case
// folding except inside its `(?a:...)` groups; JS /i without /u folds ASCII only, which is exactly
// the `(?a:)` behaviour. Only the `~=` branch folds Unicode (ſ→s, K→k, and ı/İ→i as Python does).
const S = `[${PY_SPACE}]*`;
const PRE = '(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?';
const POST = '(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?';
const DEV = '(?:[-_.]?dev[-_.]?[0-9]*)?';
const SPECIFIER_ASCII = new RegExp(
  `(?:===${S}[^${PY_SPACE};)]*)` +
    `|(?:(?:==|!=)${S}v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*(?:\\.\\*|${PRE}${POST}${DEV}(?:\\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)?)` +
    `|(?:(?:<=|>=|<|>)${S}v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*${PRE}${POST}${DEV})`,
  'iy',
);
const SPECIFIER_COMPATIBLE = new RegExp(
  `~=${S}v?(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+` +
    `(?:[-_.]?(?:alpha|beta|prev[iıİ]ew|pre|a|b|c|rc)[-_.]?[0-9]*)?${POST}${DEV}`,
  'iuy',
);

// The VARIABLE rule: its alternatives in packaging's order, each ending where Python's `\b` allows
// (every alternative ends with a letter, so `\b` there means "no word character follows").
const VARIABLE =
  /(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)|platform[._](?:version|machine|python_implementation)|python_implementation|implementation_(?:name|version)|extras?|dependency_groups)(?![\p{L}\p{N}_])/uy;

const isIdentChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 45;
const isAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

export class Scanner {
  pos = 0;
  private readonly len: number;

  constructor(readonly source: string) {
    this.len = source.length;
  }

  fail(message: string, start = this.pos, end = this.pos): never {
    throw new SyntaxFault(message, this.source, start, end);
  }

  /** `Expected <what>` at the current position, as the tokenizer's expect() reports it. */
  expected(what: string): never {
    return this.fail(`Expected ${what}`);
  }

  code(offset = 0): number {
    return this.source.charCodeAt(this.pos + offset);
  }

  /** WS rule `[ \t]+`: consumes it when present. */
  ws(): boolean {
    const start = this.pos;
    let c = this.source.charCodeAt(this.pos);
    while (c === 32 || c === 9) c = this.source.charCodeAt(++this.pos);
    return this.pos > start;
  }

  /** END rule `$`: end of input, or just before a final newline (Python's `$`). */
  atEnd(): boolean {
    return this.pos === this.len || (this.pos === this.len - 1 && this.source.charCodeAt(this.pos) === 10);
  }

  /** Consumes one ASCII punctuation character when it is next. */
  char(c: number): boolean {
    if (this.source.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  /** Python `\b` at index i: exactly one side is a word character. */
  boundary(i: number): boolean {
    return this.wordBefore(i) !== this.wordAt(i);
  }

  private wordAt(i: number): boolean {
    if (i >= this.len) return false;
    const c = this.source.codePointAt(i) as number;
    return isWordCode(c);
  }

  private wordBefore(i: number): boolean {
    if (i <= 0) return false;
    let c = this.source.charCodeAt(i - 1);
    if (c >= 0xdc00 && c <= 0xdfff && i >= 2) {
      const hi = this.source.charCodeAt(i - 2);
      if (hi >= 0xd800 && hi <= 0xdbff) c = (hi - 0xd800) * 0x400 + (c - 0xdc00) + 0x10000;
    }
    return isWordCode(c);
  }

  /** `\bword\b` (the BOOLOP, IN and NOT rules); consumes the word. */
  keyword(word: string): boolean {
    const end = this.pos + word.length;
    if (!this.source.startsWith(word, this.pos) || !this.boundary(this.pos) || !this.boundary(end)) return false;
    this.pos = end;
    return true;
  }

  /** BOOLOP rule: `and` / `or`, or null. */
  boolOp(): 'and' | 'or' | null {
    if (this.keyword('or')) return 'or';
    if (this.keyword('and')) return 'and';
    return null;
  }

  /** VARIABLE rule; returns the canonical name (dots become underscores, python_implementation is an alias). */
  variable(): string | null {
    if (this.wordBefore(this.pos)) return null;
    VARIABLE.lastIndex = this.pos;
    const m = VARIABLE.exec(this.source);
    if (m === null) return null;
    this.pos += m[0].length;
    const name = m[0].replace('.', '_');
    return name === 'python_implementation' ? 'platform_python_implementation' : name;
  }

  /** QUOTED_STRING rule `'[^']*'|"[^"]*"`: the token text, quotes included. */
  quoted(): string | null {
    const q = this.source.charCodeAt(this.pos);
    if (q !== 39 && q !== 34) return null;
    const close = this.source.indexOf(q === 39 ? "'" : '"', this.pos + 1);
    if (close < 0) return null;
    const text = this.source.slice(this.pos, close + 1);
    this.pos = close + 1;
    return text;
  }

  /** OP rule `===|==|~=|!=|<=|>=|<|>`. */
  op(): string | null {
    const c = this.source.charCodeAt(this.pos);
    const eq = this.source.charCodeAt(this.pos + 1) === 61;
    let op: string | null = null;
    if (c === 61) op = eq ? (this.source.charCodeAt(this.pos + 2) === 61 ? '===' : '==') : null;
    else if (c === 60) op = eq ? '<=' : '<';
    else if (c === 62) op = eq ? '>=' : '>';
    else if (eq && c === 126) op = '~=';
    else if (eq && c === 33) op = '!=';
    if (op !== null) this.pos += op.length;
    return op;
  }

  /** IDENTIFIER rule `\b[a-zA-Z0-9][a-zA-Z0-9._-]*\b`, with the regex's backtracking to a boundary. */
  identifier(): string | null {
    const start = this.pos;
    if (!isAlnum(this.source.charCodeAt(start)) || !this.boundary(start)) return null;
    let end = start + 1;
    while (end < this.len && isIdentChar(this.source.charCodeAt(end))) end++;
    while (end > start && !this.boundary(end)) end--;
    if (end === start) return null;
    this.pos = end;
    return this.source.slice(start, end);
  }

  /** SPECIFIER rule (one `op version` clause, spaces allowed after the operator). */
  specifier(): string | null {
    const re = this.source.startsWith('~=', this.pos) ? SPECIFIER_COMPATIBLE : SPECIFIER_ASCII;
    re.lastIndex = this.pos;
    const m = re.exec(this.source);
    if (m === null) return null;
    this.pos += m[0].length;
    return m[0];
  }

  /** VERSION_PREFIX_TRAIL `\.\*` (peek only). */
  prefixTrail(): boolean {
    return this.source.charCodeAt(this.pos) === 46 && this.source.charCodeAt(this.pos + 1) === 42;
  }

  /** VERSION_LOCAL_LABEL_TRAIL `\+[a-z0-9]+…` (peek only: a match needs just `+` and one label character). */
  localTrail(): boolean {
    if (this.source.charCodeAt(this.pos) !== 43) return false;
    const c = this.source.charCodeAt(this.pos + 1);
    return (c >= 48 && c <= 57) || (c >= 97 && c <= 122);
  }

  /** URL rule `[^ \t]+`. */
  url(): string | null {
    const start = this.pos;
    let c = this.source.charCodeAt(this.pos);
    while (this.pos < this.len && c !== 32 && c !== 9) c = this.source.charCodeAt(++this.pos);
    return this.pos > start ? this.source.slice(start, this.pos) : null;
  }
}

/**
 * The value of a quoted marker string as packaging computes it (ast.literal_eval of a Python
 * string literal): backslash escapes are decoded, a raw line break or NUL is an error.
 * Returns the decoded value, or an error reason. `\N{name}` needs Unicode's name table, which
 * JavaScript lacks: it is reported as unsupported rather than guessed.
 */
export function decodePythonString(token: string): { value: string } | { error: string } {
  const body = token.slice(1, -1);
  if (!/[\\\n\r\0\ud800-\udfff]/.test(body)) return { value: body };
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c !== '\\') {
      if (c === '\n' || c === '\r') return { error: 'unterminated string literal' };
      if (c === '\0') return { error: 'source code string cannot contain null bytes' };
      const code = c.charCodeAt(0);
      if (code >= 0xd800 && code <= 0xdfff) {
        const next = body.charCodeAt(i + 1);
        if (code > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return { error: 'lone surrogate in string' };
        out += c + body[i + 1];
        i += 2;
        continue;
      }
      out += c;
      i++;
      continue;
    }
    if (i + 1 >= body.length) return { error: 'unterminated string literal' }; // the backslash escapes the closing quote
    const e = body[i + 1] as string;
    i += 2;
    switch (e) {
      case '\n':
        break;
      case '\r':
        if (body[i] === '\n') i++;
        break;
      case '\\':
      case "'":
      case '"':
        out += e;
        break;
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case 'x':
      case 'u':
      case 'U': {
        const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i, i + n);
        if (hex.length < n || !/^[0-9a-fA-F]+$/.test(hex)) return { error: `truncated \\${e}${'X'.repeat(n)} escape` };
        const cp = Number.parseInt(hex, 16);
        if (cp > 0x10ffff) return { error: 'illegal Unicode character' };
        out += String.fromCodePoint(cp);
        i += n;
        break;
      }
      case 'N':
        return { error: '\\N{...} escapes are not supported' };
      default:
        if (e >= '0' && e <= '7') {
          const digits = /^[0-7]{0,2}/.exec(body.slice(i, i + 2))?.[0] ?? '';
          out += String.fromCharCode(Number.parseInt(e + digits, 8));
          i += digits.length;
        } else {
          // Unknown escapes stay as written; a raw line break or NUL after the backslash is still an error.
          if (e === '\0') return { error: 'source code string cannot contain null bytes' };
          const code = e.charCodeAt(0);
          if (code >= 0xd800 && code <= 0xdfff) {
            i -= 1; // let the main loop check the surrogate pair
            out += '\\';
            break;
          }
          out += `\\${e}`;
        }
    }
  }
  return { value: out };
}

// ---------------------------------------------------------------------------------------------
// The marker grammar (packaging/_parser.py), shared by Marker.parse and Requirement.parse.

/** A side of a comparison: an environment variable (canonical name) or a quoted value. */
export type MarkerOperand = { readonly kind: 'variable'; readonly name: string } | { readonly kind: 'value'; readonly value: string };
export type MarkerOp = '===' | '==' | '~=' | '!=' | '<=' | '>=' | '<' | '>' | 'in' | 'not in';
export interface MarkerComparison {
  readonly kind: 'compare';
  readonly lhs: MarkerOperand;
  readonly op: MarkerOp;
  readonly rhs: MarkerOperand;
}
/** A sequence `items[0] joins[0] items[1] …` as written; each parenthesised part is a nested group. */
export interface MarkerGroup {
  readonly kind: 'group';
  readonly items: readonly MarkerNode[];
  readonly joins: readonly ('and' | 'or')[];
}
export type MarkerNode = MarkerComparison | MarkerGroup;

/** marker = marker_atom (BOOLOP marker_atom)* */
export function parseMarkerExpression(t: Scanner): MarkerGroup {
  const items: MarkerNode[] = [parseMarkerAtom(t)];
  const joins: ('and' | 'or')[] = [];
  for (let op = t.boolOp(); op !== null; op = t.boolOp()) {
    joins.push(op);
    items.push(parseMarkerAtom(t));
  }
  return { kind: 'group', items, joins };
}

/** marker_atom = WS? '(' WS? marker WS? ')' WS? | WS? marker_item WS? */
function parseMarkerAtom(t: Scanner): MarkerNode {
  t.ws();
  let node: MarkerNode;
  if (t.code() === 40) {
    const open = t.pos++;
    t.ws();
    node = parseMarkerExpression(t);
    t.ws();
    if (!t.char(41)) t.fail('Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression', open);
  } else {
    node = parseMarkerItem(t);
  }
  t.ws();
  return node;
}

/** marker_item = WS? marker_var WS? marker_op WS? marker_var WS? */
function parseMarkerItem(t: Scanner): MarkerComparison {
  t.ws();
  const lhs = parseMarkerVar(t);
  t.ws();
  const op = parseMarkerOp(t);
  t.ws();
  const rhs = parseMarkerVar(t);
  t.ws();
  return { kind: 'compare', lhs, op, rhs };
}

function parseMarkerVar(t: Scanner): MarkerOperand {
  const name = t.variable();
  if (name !== null) return { kind: 'variable', name };
  const start = t.pos;
  const token = t.quoted();
  if (token === null) return t.fail('Expected a marker variable or quoted string');
  const decoded = decodePythonString(token);
  if ('error' in decoded) return t.fail(`Invalid string literal: ${decoded.error}`, start, t.pos);
  return { kind: 'value', value: decoded.value };
}

function parseMarkerOp(t: Scanner): MarkerOp {
  if (t.keyword('in')) return 'in';
  if (t.keyword('not')) {
    if (!t.ws()) t.expected("whitespace after 'not'");
    if (!t.keyword('in')) t.expected("'in' after 'not'");
    return 'not in';
  }
  const op = t.op();
  if (op === null) return t.fail('Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in');
  return op as MarkerOp;
}

// ---------------------------------------------------------------------------------------------
// Interning. Specifier clauses in markers and requirements come from a small universe
// (`>=3.8`, `<2`) and the parsed values are immutable: parse each text once. The caches are
// bounded so that hostile input cannot grow them.

const CACHE_LIMIT = 4096;
const specifierCache = new Map<string, Specifier | null>();

export function cached<T>(cache: Map<string, T>, key: string, make: (key: string) => T): T {
  let value = cache.get(key);
  if (value === undefined && !cache.has(key)) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    value = make(key);
    cache.set(key, value);
  }
  return value as T;
}

/** The parsed Specifier for a clause text, or null when packaging's Specifier() would reject it. */
export function cachedSpecifier(text: string): Specifier | null {
  return cached(specifierCache, text, (t) => {
    try {
      return Specifier.parse(t);
    } catch {
      return null;
    }
  });
}
