// Core metadata (METADATA, PKG-INFO), Metadata-Version 1.0 to 2.5, read as pypa/packaging 26.2
// reads it: the RFC 822 headers are split as Python's email parser does (compat32: folded lines
// keep their line break and indentation, the body after the first blank line is the
// Description), then every field is checked as packaging's Metadata.from_email(validate=True)
// checks it. Nothing malformed is fatal: each defect becomes a problem {field, message}, the
// union of what packaging would report (unparsed fields, then invalid values).
import { PyvetError } from '../errors.js';
import { canonicalizeLicenseExpression, InvalidLicenseExpression } from './licenses.js';
import { canonicalizeName, InvalidName } from './names.js';
import { InvalidRequirement, Requirement } from './requirements.js';
import { InvalidSpecifier, SpecifierSet } from './specifiers.js';
import { pyStrip } from './text.js';
import { InvalidVersion, Version } from './version.js';

/** Text that is not core metadata at all (no header could be read). */
export class InvalidMetadata extends PyvetError {
  constructor(message: string) {
    super('INVALID_METADATA', 'invalid', message);
    this.name = 'InvalidMetadata';
  }
}

export const METADATA_VERSIONS = ['1.0', '1.1', '1.2', '2.1', '2.2', '2.3', '2.4', '2.5'] as const;
export type MetadataVersion = (typeof METADATA_VERSIONS)[number];

export interface MetadataProblem {
  /** The lower-case header name ('requires-dist'). */
  field: string;
  message: string;
}

export interface CoreMetadata {
  metadataVersion: string | undefined;
  /** As written (see canonicalizeName for the PEP 503 form). */
  name: string | undefined;
  /** As written; normalizedVersion when it is valid PEP 440. */
  version: string | undefined;
  normalizedVersion: string | undefined;
  summary: string | undefined;
  /** From the Description header (continuation indentation removed) or the message body. */
  description: string | undefined;
  descriptionContentType: string | undefined;
  keywords: string[];
  homePage: string | undefined;
  downloadUrl: string | undefined;
  author: string | undefined;
  authorEmail: string | undefined;
  maintainer: string | undefined;
  maintainerEmail: string | undefined;
  license: string | undefined;
  /** Normalised SPDX expression when valid, else as written. */
  licenseExpression: string | undefined;
  licenseFiles: string[];
  classifiers: string[];
  platforms: string[];
  supportedPlatforms: string[];
  requiresDist: string[];
  requiresPython: string | undefined;
  requiresExternal: string[];
  /** Project-URL label → URL. */
  projectUrls: Record<string, string>;
  /** Canonical extra names (PEP 685). */
  providesExtra: string[];
  providesDist: string[];
  obsoletesDist: string[];
  /** Lower-case field names. */
  dynamic: string[];
  importNames: string[];
  importNamespaces: string[];
  requires: string[];
  provides: string[];
  obsoletes: string[];
  /** Headers pyvet does not know or could not use, by lower-case name. */
  unparsed: Record<string, string[]>;
  problems: MetadataProblem[];
}

type Kind = 'string' | 'list' | 'keywords' | 'urls';
interface FieldSpec {
  key: keyof CoreMetadata;
  kind: Kind;
  added: MetadataVersion;
}

// Header name (lower case) → field, in packaging's declaration order (the order problems use).
const FIELDS: Record<string, FieldSpec> = {
  'metadata-version': { key: 'metadataVersion', kind: 'string', added: '1.0' },
  name: { key: 'name', kind: 'string', added: '1.0' },
  version: { key: 'version', kind: 'string', added: '1.0' },
  dynamic: { key: 'dynamic', kind: 'list', added: '2.2' },
  platform: { key: 'platforms', kind: 'list', added: '1.0' },
  'supported-platform': { key: 'supportedPlatforms', kind: 'list', added: '1.1' },
  summary: { key: 'summary', kind: 'string', added: '1.0' },
  description: { key: 'description', kind: 'string', added: '1.0' },
  'description-content-type': { key: 'descriptionContentType', kind: 'string', added: '2.1' },
  keywords: { key: 'keywords', kind: 'keywords', added: '1.0' },
  'home-page': { key: 'homePage', kind: 'string', added: '1.0' },
  'download-url': { key: 'downloadUrl', kind: 'string', added: '1.1' },
  author: { key: 'author', kind: 'string', added: '1.0' },
  'author-email': { key: 'authorEmail', kind: 'string', added: '1.0' },
  maintainer: { key: 'maintainer', kind: 'string', added: '1.2' },
  'maintainer-email': { key: 'maintainerEmail', kind: 'string', added: '1.2' },
  license: { key: 'license', kind: 'string', added: '1.0' },
  'license-expression': { key: 'licenseExpression', kind: 'string', added: '2.4' },
  'license-file': { key: 'licenseFiles', kind: 'list', added: '2.4' },
  classifier: { key: 'classifiers', kind: 'list', added: '1.1' },
  'requires-dist': { key: 'requiresDist', kind: 'list', added: '1.2' },
  'requires-python': { key: 'requiresPython', kind: 'string', added: '1.2' },
  'requires-external': { key: 'requiresExternal', kind: 'list', added: '1.2' },
  'project-url': { key: 'projectUrls', kind: 'urls', added: '1.2' },
  'provides-extra': { key: 'providesExtra', kind: 'list', added: '2.1' },
  'provides-dist': { key: 'providesDist', kind: 'list', added: '1.2' },
  'obsoletes-dist': { key: 'obsoletesDist', kind: 'list', added: '1.2' },
  'import-name': { key: 'importNames', kind: 'list', added: '2.5' },
  'import-namespace': { key: 'importNamespaces', kind: 'list', added: '2.5' },
  requires: { key: 'requires', kind: 'list', added: '1.1' },
  provides: { key: 'provides', kind: 'list', added: '1.1' },
  obsoletes: { key: 'obsoletes', kind: 'list', added: '1.1' },
};

/** Sets a key that comes from the input as an own property, even '__proto__'. */
function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function fieldSpec(key: string): FieldSpec | undefined {
  return Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
}

// --- RFC 822 headers, as Python's email.feedparser splits them ------------------------------

// A header line, a continuation line, or a Unix 'From ' envelope line.
const HEADER_LINE = /^(?:From |[\x21-\x39\x3b-\x7e]*:|[\t ])/;
// One line with its terminator (\r\n, \r or \n), or the unterminated last line.
const LINE = /[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/y;

interface RawMessage {
  headers: [string, string][];
  body: string;
}

/** Splits headers and body the way email.parser.Parser(policy=compat32).parsestr does. */
export function parseRfc822(text: string): RawMessage {
  // Only the header lines are split; the body is everything after the header block.
  const headerLines: string[] = [];
  let pos = 0;
  while (pos < text.length) {
    LINE.lastIndex = pos;
    const line = LINE.exec(text)![0];
    if (!HEADER_LINE.test(line)) {
      // The blank separator line is dropped; any other line starts the body.
      if (line[0] === '\r' || line[0] === '\n') pos += line.length;
      break;
    }
    headerLines.push(line);
    pos += line.length;
  }
  let body = text.slice(pos);
  const headers: [string, string][] = [];
  let current: string[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const first = current[0]!;
    const colon = first.indexOf(':');
    const value = first.slice(colon + 1).replace(/^[ \t]+/, '') + current.slice(1).join('');
    headers.push([first.slice(0, colon), value.replace(/[\r\n]+$/, '')]);
    current = [];
  };
  for (const [n, line] of headerLines.entries()) {
    if (line[0] === ' ' || line[0] === '\t') {
      // A continuation with no header before it is a defect and is dropped.
      if (current.length > 0) current.push(line);
      continue;
    }
    flush();
    if (line.startsWith('From ')) {
      // An envelope line: ignored first, pushed back into the body last, dropped elsewhere.
      if (n === headerLines.length - 1 && n > 0) body = line + body;
      continue;
    }
    // ':value' has no header name: a defect, dropped.
    if (line.indexOf(':') > 0) current = [line];
  }
  flush();
  return { headers, body };
}

// --- field checks, as packaging's _Validator._process_* ------------------------------------

const CONTENT_TYPES = ['text/plain', 'text/x-rst', 'text/markdown'];
const MARKDOWN_VARIANTS = ['GFM', 'CommonMark'];
const PY_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(
    ' ',
  ),
);
const IDENTIFIER = /^[\p{XID_Start}_]\p{XID_Continue}*$/u;

const NOT_PRINTABLE = /[\p{C}\p{Z}]/u;

/** Python's repr() of a str, as packaging's messages quote values. */
function q(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    if (ch === '\\' || ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) {
      const cp = ch.codePointAt(0)!;
      out += cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return quote + out + quote;
}

function checkContentType(value: string): string | undefined {
  const [head, ...params] = value.split(';');
  let contentType = head!.trim().toLowerCase();
  if (contentType.split('/').length !== 2) contentType = 'text/plain';
  if (!CONTENT_TYPES.includes(contentType) || !value.toLowerCase().includes(contentType)) {
    return `'description-content-type' must be one of ['text/plain', 'text/markdown', 'text/x-rst'], not ${q(value)}`;
  }
  const parameters = new Map<string, string>();
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    parameters.set(p.slice(0, eq).trim().toLowerCase(), v);
  }
  const charset = parameters.get('charset') ?? 'UTF-8';
  if (charset !== 'UTF-8') return `'description-content-type' can only specify the UTF-8 charset, not ${q(charset)}`;
  const variant = parameters.get('variant') ?? 'GFM';
  if (contentType === 'text/markdown' && !MARKDOWN_VARIANTS.includes(variant)) {
    return `valid Markdown variants for 'description-content-type' are ['GFM', 'CommonMark'], not ${q(variant)}`;
  }
  return undefined;
}

/** PureWindowsPath(path).as_posix() for a relative path without backslashes. */
function windowsPosix(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  return parts.length === 0 ? '.' : parts.join('/');
}

function checkLicenseFile(path: string): string | undefined {
  const f = q('license-file');
  if (path.includes('..')) return `${q(path)} is invalid for ${f}, parent directory indicators are not allowed`;
  if (path.includes('*')) return `${q(path)} is invalid for ${f}, paths must be resolved`;
  if (path.startsWith('/') || /^(?:[A-Za-z]:[\\/]|[\\/]{2}[^\\/]+[\\/][^\\/]+)/.test(path)) {
    return `${q(path)} is invalid for ${f}, paths must be relative`;
  }
  if (path.includes('\\') || windowsPosix(path) !== path) return `${q(path)} is invalid for ${f}, paths must use '/' delimiter`;
  return undefined;
}

function checkImportName(field: string, value: string): string | undefined {
  const semi = value.indexOf(';');
  const name = (semi >= 0 ? value.slice(0, semi) : value).trimEnd();
  for (const identifier of name.split('.')) {
    if (!IDENTIFIER.test(identifier)) {
      return `${q(name)} is invalid for ${q(field)}; ${q(identifier)} is not a valid identifier`;
    }
    if (PY_KEYWORDS.has(identifier)) return `${q(name)} is invalid for ${q(field)}; ${q(identifier)} is a keyword`;
  }
  if (semi >= 0 && value.slice(semi + 1).trimStart() !== 'private') {
    return `${q(value)} is invalid for ${q(field)}; the only valid option is 'private'`;
  }
  return undefined;
}

/** Runs fn, turning the given typed error into a problem message. */
function attempt<T>(fn: () => T, errorType: abstract new (...args: never[]) => Error): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof errorType) return undefined;
    throw err;
  }
}

/** Removes the 8-space or '       |' indentation the spec puts on Description continuation lines. */
function unfoldDescription(value: string): string {
  return value.replace(/(\r\n|\r|\n)(?: {7}\||\t| {8})/g, '$1');
}

function emptyMetadata(): CoreMetadata {
  return {
    metadataVersion: undefined,
    name: undefined,
    version: undefined,
    normalizedVersion: undefined,
    summary: undefined,
    description: undefined,
    descriptionContentType: undefined,
    keywords: [],
    homePage: undefined,
    downloadUrl: undefined,
    author: undefined,
    authorEmail: undefined,
    maintainer: undefined,
    maintainerEmail: undefined,
    license: undefined,
    licenseExpression: undefined,
    licenseFiles: [],
    classifiers: [],
    platforms: [],
    supportedPlatforms: [],
    requiresDist: [],
    requiresPython: undefined,
    requiresExternal: [],
    projectUrls: {},
    providesExtra: [],
    providesDist: [],
    obsoletesDist: [],
    dynamic: [],
    importNames: [],
    importNamespaces: [],
    requires: [],
    provides: [],
    obsoletes: [],
    unparsed: {},
    problems: [],
  };
}

/**
 * Parses METADATA / PKG-INFO text. Malformed fields become `problems`; only text without a
 * single header throws InvalidMetadata.
 */
export function parseCoreMetadata(text: string): CoreMetadata {
  const message = parseRfc822(text);
  if (message.headers.length === 0) {
    throw new InvalidMetadata('not core metadata: no RFC 822 header found before the body');
  }
  const meta = emptyMetadata();
  const problems = meta.problems;
  // Group values by lower-case header name, in order of first appearance.
  const grouped = new Map<string, string[]>();
  for (const [name, value] of message.headers) {
    const key = name.toLowerCase();
    const values = grouped.get(key);
    if (values) values.push(value);
    else grouped.set(key, [value]);
  }
  // Fields present (as packaging's raw dict), with their raw value.
  const present = new Map<string, string | string[] | Record<string, string>>();
  for (const [key, values] of grouped) {
    const spec = fieldSpec(key);
    if (spec === undefined) {
      setOwn(meta.unparsed, key, values);
    } else if (spec.kind === 'string' && values.length === 1) {
      present.set(key, values[0]!);
    } else if (spec.kind === 'list') {
      // packaging reads an empty Import-Name as "no import names".
      present.set(key, key === 'import-name' && values.length === 1 && values[0] === '' ? [] : values);
    } else if (spec.kind === 'keywords' && values.length === 1) {
      present.set(key, values[0]!.split(',').map(pyStrip));
    } else if (spec.kind === 'urls') {
      const urls: Record<string, string> = {};
      let duplicate = false;
      for (const pair of values) {
        const comma = pair.indexOf(',');
        const label = pyStrip(comma >= 0 ? pair.slice(0, comma) : pair);
        const url = comma >= 0 ? pyStrip(pair.slice(comma + 1)) : '';
        if (Object.hasOwn(urls, label)) duplicate = true;
        setOwn(urls, label, url);
      }
      if (duplicate) setOwn(meta.unparsed, key, values);
      else present.set(key, urls);
    } else {
      setOwn(meta.unparsed, key, values);
    }
  }
  // The body is the Description too; both at once is ambiguous, so both become unparsed.
  let descriptionFromBody = false;
  if (message.body) {
    const header = present.get('description');
    if (header !== undefined) {
      present.delete('description');
      meta.unparsed.description = [header as string, message.body];
    } else if (meta.unparsed.description) {
      meta.unparsed.description.push(message.body);
    } else {
      present.set('description', message.body);
      descriptionFromBody = true;
    }
  }
  for (const key of Object.keys(meta.unparsed)) {
    problems.push({
      field: key,
      message: fieldSpec(key) ? `${q(key)} has invalid data` : `unrecognized field: ${q(key)}`,
    });
  }

  const mv = present.get('metadata-version') as string | undefined;
  meta.metadataVersion = mv;
  const age = mv === undefined ? -1 : METADATA_VERSIONS.indexOf(mv as MetadataVersion);
  if (age < 0) {
    problems.push({
      field: 'metadata-version',
      message: `${mv === undefined ? 'None' : q(mv)} is not a valid metadata version`,
    });
  }
  const problem = (field: string, message: string) => problems.push({ field, message });
  for (const [key, spec] of Object.entries(FIELDS)) {
    if (key === 'metadata-version') continue;
    const raw = present.get(key);
    if (raw === undefined && key !== 'name' && key !== 'version') continue;
    if (raw !== undefined && age >= 0 && METADATA_VERSIONS.indexOf(spec.added) > age) {
      problem(key, `${key} introduced in metadata version ${spec.added}, not ${mv}`);
      continue;
    }
    // Header names are printable ASCII: their repr() is just quoted.
    const fieldName = `'${key}'`;
    switch (key) {
      case 'name': {
        const value = raw as string | undefined;
        meta.name = value;
        if (!value) problem(key, `${fieldName} is a required field`);
        else if (attempt(() => canonicalizeName(value, { validate: true }), InvalidName) === undefined) {
          problem(key, `${q(value)} is invalid for ${fieldName}`);
        }
        break;
      }
      case 'version': {
        const value = raw as string | undefined;
        meta.version = value;
        if (!value) problem(key, `${fieldName} is a required field`);
        else {
          meta.normalizedVersion = attempt(() => Version.parse(value).toString(), InvalidVersion);
          if (meta.normalizedVersion === undefined) problem(key, `${q(value)} is invalid for ${fieldName}`);
        }
        break;
      }
      case 'summary':
        meta.summary = raw as string;
        if (meta.summary.includes('\n')) problem(key, `${fieldName} must be a single line`);
        break;
      case 'description':
        // Only a Description header carries the continuation indentation; the body is as written.
        meta.description = descriptionFromBody ? (raw as string) : unfoldDescription(raw as string);
        break;
      case 'description-content-type': {
        meta.descriptionContentType = raw as string;
        const msg = checkContentType(raw as string);
        if (msg) problem(key, msg);
        break;
      }
      case 'dynamic': {
        const values = (raw as string[]).map((v) => v.toLowerCase());
        meta.dynamic = values;
        const bad = values.find((v) => v === 'name' || v === 'version' || v === 'metadata-version' || !fieldSpec(v));
        if (bad !== undefined) {
          const reserved = bad === 'name' || bad === 'version' || bad === 'metadata-version';
          problem(key, `${q(bad)} is not ${reserved ? 'allowed as a' : 'a valid'} dynamic field`);
        }
        break;
      }
      case 'provides-extra': {
        const values = raw as string[];
        const normalized: string[] = [];
        for (const extra of values) {
          const n = attempt(() => canonicalizeName(extra, { validate: true }), InvalidName);
          if (n === undefined) {
            problem(key, `${q(extra)} is invalid for ${fieldName}`);
            break;
          }
          normalized.push(n);
        }
        meta.providesExtra = normalized.length === values.length ? normalized : values;
        break;
      }
      case 'requires-python':
        meta.requiresPython = raw as string;
        if (attempt(() => SpecifierSet.parse(raw as string), InvalidSpecifier) === undefined) {
          problem(key, `${q(raw as string)} is invalid for ${fieldName}`);
        }
        break;
      case 'requires-dist':
        meta.requiresDist = raw as string[];
        for (const req of meta.requiresDist) {
          if (attempt(() => Requirement.parse(req), InvalidRequirement) === undefined) {
            problem(key, `${q(req)} is invalid for ${fieldName}`);
            break;
          }
        }
        break;
      case 'license-expression': {
        const value = raw as string;
        const normalized = attempt(() => canonicalizeLicenseExpression(value), InvalidLicenseExpression);
        meta.licenseExpression = normalized ?? value;
        if (normalized === undefined) problem(key, `${q(value)} is invalid for ${fieldName}`);
        break;
      }
      case 'license-file':
        meta.licenseFiles = raw as string[];
        for (const path of meta.licenseFiles) {
          const msg = checkLicenseFile(path);
          if (msg) {
            problem(key, msg);
            break;
          }
        }
        break;
      case 'import-name':
      case 'import-namespace': {
        const values = raw as string[];
        meta[spec.key as 'importNames' | 'importNamespaces'] = values;
        for (const v of values) {
          const msg = checkImportName(key, v);
          if (msg) {
            problem(key, msg);
            break;
          }
        }
        break;
      }
      case 'keywords':
        meta.keywords = raw as string[];
        break;
      case 'project-url':
        meta.projectUrls = raw as Record<string, string>;
        break;
      default:
        // Fields taken as written.
        (meta as unknown as Record<string, unknown>)[spec.key] = raw;
    }
  }
  return meta;
}

/**
 * Name and Version from the headers alone, without checking anything: for indexing and
 * filename agreement checks where the full parse is not needed.
 */
export function metadataNameVersion(text: string): { name: string | undefined; version: string | undefined } {
  let name: string | undefined;
  let version: string | undefined;
  for (const [header, value] of parseRfc822(text).headers) {
    const key = header.toLowerCase();
    if (key === 'name' && name === undefined) name = value.trim();
    else if (key === 'version' && version === undefined) version = value.trim();
    if (name !== undefined && version !== undefined) break;
  }
  return { name, version };
}
