// PEP 508 dependency specifiers (`name[extras] specifier ; marker` or `name @ url ; marker`),
// matching packaging 26.2 (packaging.requirements): same grammar, error messages with the
// position, normalized string and equality.

import { PyvetError } from '../errors.js';
import { Marker } from './markers.js';
import { canonicalizeName } from './names.js';
import { cachedSpecifier, type MarkerGroup, parseMarkerExpression, Scanner, SyntaxFault } from './pep508-scanner.js';
import { type Specifier, SpecifierSet } from './specifiers.js';

export class InvalidRequirement extends PyvetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_REQUIREMENT', 'invalid', message, details);
    this.name = 'InvalidRequirement';
  }
}

export class Requirement {
  /** The project name as written (compare with canonicalizeName). */
  readonly name: string;
  /** The extras, deduplicated and sorted, as written. */
  readonly extras: string[];
  readonly url: string | null;
  readonly marker: Marker | null;
  // The clauses as the tokenizer found them. Like packaging, which only regex-checks a clause when
  // it parses a requirement and reads its version on first use, the SpecifierSet (whose clauses
  // parse their versions) is built on first access; the tokenizer has already validated each clause.
  private readonly clauses: readonly string[];
  private specifierSet: SpecifierSet | undefined;
  private text: string | undefined;

  private constructor(name: string, extras: string[], clauses: readonly string[], url: string | null, marker: Marker | null) {
    this.name = name;
    this.extras = extras;
    this.clauses = clauses;
    this.url = url;
    this.marker = marker;
  }

  /** Parses a dependency specifier; throws InvalidRequirement with packaging's message and position. */
  static parse(source: string): Requirement {
    const t = new Scanner(source);
    let parsed: ParsedRequirement;
    try {
      parsed = parseRequirement(t);
    } catch (err) {
      if (err instanceof SyntaxFault) {
        throw new InvalidRequirement(err.format(), { requirement: source, position: err.start, end: err.end });
      }
      throw err;
    }
    const { name, extras, clauses, url, marker } = parsed;
    const req = new Requirement(
      name,
      extras.length > 1 ? [...new Set(extras)].sort() : extras,
      clauses,
      url === '' ? null : url,
      marker === null ? null : Marker.fromTree(marker),
    );
    // A `===` clause can swallow a comma, which SpecifierSet then splits on: check those now.
    if (clauses.some((c) => c.includes(','))) void req.specifier;
    return req;
  }

  get specifier(): SpecifierSet {
    this.specifierSet ??= specifierSet(this.clauses, this.name);
    return this.specifierSet;
  }

  /** packaging's str(Requirement). */
  toString(): string {
    if (this.text !== undefined) return this.text;
    let s = this.name;
    if (this.extras.length > 0) s += `[${this.extras.join(',')}]`;
    const spec = this.specifier.toString();
    if (spec !== '') s += spec;
    if (this.url !== null) {
      s += ` @ ${this.url}`;
      if (this.marker !== null) s += ' ';
    }
    if (this.marker !== null) s += `; ${this.marker.toString()}`;
    this.text = s;
    return s;
  }

  toJSON(): string {
    return this.toString();
  }

  /** packaging's ==: names compared canonicalized, extras as sets, specifiers and markers by meaning of their normal form. */
  equals(other: Requirement): boolean {
    return (
      canonicalizeName(this.name) === canonicalizeName(other.name) &&
      this.extras.length === other.extras.length &&
      this.extras.every((e, i) => e === other.extras[i]) &&
      this.specifier.equals(other.specifier) &&
      this.url === other.url &&
      (this.marker === null ? other.marker === null : other.marker !== null && this.marker.equals(other.marker))
    );
  }
}

/** The SpecifierSet of the clauses (which joined by commas are packaging's specifier string). */
function specifierSet(clauses: readonly string[], name: string): SpecifierSet {
  const specs = clauses.map((c) => (c.includes(',') ? null : cachedSpecifier(c)));
  if (specs.every((s) => s !== null)) return SpecifierSet.of(specs as Specifier[]);
  // A `===` clause swallowed a comma (or, against the grammar, a clause was rejected): let
  // SpecifierSet split the text as packaging's does, and report what it rejects.
  const text = clauses.join(',');
  try {
    return SpecifierSet.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InvalidRequirement(`Invalid specifier '${text}' for ${name}: ${reason}`, { name, specifier: text });
  }
}

interface ParsedRequirement {
  name: string;
  extras: string[];
  clauses: string[];
  url: string;
  marker: MarkerGroup | null;
}

// The grammar below follows packaging/_parser.py function by function so that every error has
// the same message and span.

/** requirement = WS? IDENTIFIER WS? extras WS? requirement_details END */
function parseRequirement(t: Scanner): ParsedRequirement {
  t.ws();
  const name = t.identifier();
  if (name === null) t.expected('package name at the start of dependency specifier');
  t.ws();
  const extras = parseExtras(t);
  t.ws();
  const { clauses, url, marker } = parseDetails(t);
  if (!t.atEnd()) t.expected('end of dependency specifier');
  return { name, extras, clauses, url, marker };
}

/** requirement_details = AT URL (WS requirement_marker?)? | specifier WS? requirement_marker? */
function parseDetails(t: Scanner): Pick<ParsedRequirement, 'clauses' | 'url' | 'marker'> {
  if (t.char(64)) {
    t.ws();
    const urlStart = t.pos;
    const url = t.url();
    if (url === null) t.expected('URL after @');
    if (t.atEnd()) return { url, clauses: [], marker: null };
    if (!t.ws()) t.expected('whitespace after URL');
    if (t.atEnd()) return { url, clauses: [], marker: null };
    const marker = parseRequirementMarker(t, urlStart, 'semicolon (after URL and whitespace)');
    return { url, clauses: [], marker };
  }
  const specifierStart = t.pos;
  const clauses = parseSpecifier(t);
  t.ws();
  if (t.atEnd()) return { url: '', clauses, marker: null };
  const marker = parseRequirementMarker(
    t,
    specifierStart,
    clauses.length > 0
      ? 'comma (within version specifier), semicolon (after version specifier)'
      : 'semicolon (after name with no version specifier)',
  );
  return { url: '', clauses, marker };
}

/** requirement_marker = SEMICOLON marker WS? */
function parseRequirementMarker(t: Scanner, spanStart: number, expected: string): MarkerGroup {
  if (!t.char(59)) t.fail(`Expected ${expected} or end`, spanStart);
  const marker = parseMarkerExpression(t);
  t.ws();
  return marker;
}

/** extras = ('[' WS? extras_list? WS? ']')? */
function parseExtras(t: Scanner): string[] {
  if (t.code() !== 91) return [];
  const open = t.pos++;
  t.ws();
  const extras = parseExtrasList(t);
  t.ws();
  if (!t.char(93)) t.fail('Expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras', open);
  return extras;
}

/** extras_list = IDENTIFIER (WS? ',' WS? IDENTIFIER)* */
function parseExtrasList(t: Scanner): string[] {
  const extras: string[] = [];
  const first = t.identifier();
  if (first === null) return extras;
  extras.push(first);
  for (;;) {
    t.ws();
    const save = t.pos;
    if (t.identifier() !== null) {
      t.pos = save;
      t.fail('Expected comma between extra names');
    }
    if (!t.char(44)) break;
    t.ws();
    const extra = t.identifier();
    if (extra === null) t.expected('extra name after comma');
    extras.push(extra);
  }
  return extras;
}

/** specifier = '(' WS? version_many WS? ')' | WS? version_many WS? */
function parseSpecifier(t: Scanner): string[] {
  const open = t.code() === 40 ? t.pos++ : -1;
  t.ws();
  const clauses = parseVersionMany(t);
  t.ws();
  if (open >= 0 && !t.char(41)) t.fail('Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier', open);
  return clauses;
}

/** version_many = (SPECIFIER (WS? ',' WS? SPECIFIER)*)? */
function parseVersionMany(t: Scanner): string[] {
  const clauses: string[] = [];
  for (;;) {
    const spanStart = t.pos;
    const clause = t.specifier();
    if (clause === null) break;
    clauses.push(clause);
    if (t.prefixTrail()) t.fail('.* suffix can only be used with `==` or `!=` operators', spanStart, t.pos + 1);
    if (t.localTrail()) t.fail('Local version label can only be used with `==` or `!=` operators', spanStart);
    t.ws();
    if (!t.char(44)) break;
    t.ws();
  }
  return clauses;
}
