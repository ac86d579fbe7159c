// PEP 508 dependency specifiers (`name[extras] specifier ; marker` or `name @ url ; marker`),
// matching packaging 26.2 (packaging.requirements): same grammar, error messages with the
// position, normalized string and equality.

import { PyvetError } from '../errors.js';
import { Marker } from './markers.js';
import { canonicalizeName } from './names.js';
import { type MarkerGroup, parseMarkerExpression, Scanner, SyntaxFault } from './pep508-scanner.js';
import { SpecifierSet } from './specifiers.js';

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
  readonly specifier: SpecifierSet;
  readonly url: string | null;
  readonly marker: Marker | null;
  private text: string | undefined;

  private constructor(name: string, extras: string[], specifier: SpecifierSet, url: string | null, marker: Marker | null) {
    this.name = name;
    this.extras = extras;
    this.specifier = specifier;
    this.url = url;
    this.marker = marker;
  }

  /** Parses a dependency specifier; throws InvalidRequirement with packaging's message and position. */
  static parse(source: string): Requirement {
    const t = new Scanner(source);
    let parsed: ReturnType<typeof parseRequirement>;
    try {
      parsed = parseRequirement(t);
    } catch (err) {
      if (err instanceof SyntaxFault) {
        throw new InvalidRequirement(err.format(), { requirement: source, position: err.start, end: err.end });
      }
      throw err;
    }
    let specifier: SpecifierSet;
    try {
      specifier = SpecifierSet.parse(parsed.specifier);
    } catch (err) {
      // The tokenizer only accepts well-formed clauses, so this means a version the clause
      // grammar admits but PEP 440 rejects.
      const reason = err instanceof Error ? err.message : String(err);
      throw new InvalidRequirement(`Invalid specifier in '${source}': ${reason}`, { requirement: source });
    }
    const extras = [...new Set(parsed.extras)].sort();
    const marker = parsed.marker === null ? null : Marker.fromTree(parsed.marker);
    return new Requirement(parsed.name, extras, specifier, parsed.url === '' ? null : parsed.url, marker);
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

interface ParsedRequirement {
  name: string;
  extras: string[];
  specifier: string;
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
  const details = parseDetails(t);
  if (!t.atEnd()) t.expected('end of dependency specifier');
  return { name, extras, ...details };
}

/** requirement_details = AT URL (WS requirement_marker?)? | specifier WS? requirement_marker? */
function parseDetails(t: Scanner): Pick<ParsedRequirement, 'specifier' | 'url' | 'marker'> {
  if (t.char(64)) {
    t.ws();
    const urlStart = t.pos;
    const url = t.url();
    if (url === null) t.expected('URL after @');
    if (t.atEnd()) return { url, specifier: '', marker: null };
    if (!t.ws()) t.expected('whitespace after URL');
    if (t.atEnd()) return { url, specifier: '', marker: null };
    const marker = parseRequirementMarker(t, urlStart, 'semicolon (after URL and whitespace)');
    return { url, specifier: '', marker };
  }
  const specifierStart = t.pos;
  const specifier = parseSpecifier(t);
  t.ws();
  if (t.atEnd()) return { url: '', specifier, marker: null };
  const marker = parseRequirementMarker(
    t,
    specifierStart,
    specifier !== ''
      ? 'comma (within version specifier), semicolon (after version specifier)'
      : 'semicolon (after name with no version specifier)',
  );
  return { url: '', specifier, marker };
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
function parseSpecifier(t: Scanner): string {
  const open = t.code() === 40 ? t.pos++ : -1;
  t.ws();
  const specifiers = parseVersionMany(t);
  t.ws();
  if (open >= 0 && !t.char(41)) t.fail('Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier', open);
  return specifiers;
}

/** version_many = (SPECIFIER (WS? ',' WS? SPECIFIER)*)? */
function parseVersionMany(t: Scanner): string {
  let specifiers = '';
  for (;;) {
    const spanStart = t.pos;
    const clause = t.specifier();
    if (clause === null) break;
    specifiers += clause;
    if (t.prefixTrail()) t.fail('.* suffix can only be used with `==` or `!=` operators', spanStart, t.pos + 1);
    if (t.localTrail()) t.fail('Local version label can only be used with `==` or `!=` operators', spanStart);
    t.ws();
    if (!t.char(44)) break;
    specifiers += ',';
    t.ws();
  }
  return specifiers;
}
