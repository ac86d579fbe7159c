// pip's requirements file format (pip/_internal/req/req_file.py), read the way pip reads it:
// physical lines are split like Python's str.splitlines, backslash continuations are joined,
// ' #' comments are dropped, a line is split into its requirement (tokens before the first one
// starting with '-') and its options (shlex-split, optparse-style: '--opt=v', '--opt v', '-ov',
// unique prefixes of long options). Includes (-r/-c) are recorded, never read: this is pure.
// ${VAR} references are expanded only from an environment passed in (pip reads os.environ).
import { PyvetError } from '../errors.js';
import { InvalidMarker, Marker } from './markers.js';
import { canonicalizeName } from './names.js';
import { InvalidRequirement, Requirement } from './requirements.js';
import { pyStrip } from './text.js';

export class InvalidRequirementsFile extends PyvetError {
  constructor(message: string, line: number, filename: string | undefined) {
    const where = filename === undefined ? `line ${line}` : `${filename}, line ${line}`;
    super('INVALID_REQUIREMENTS_FILE', 'invalid', `${where}: ${message}`, { filename, line });
    this.name = 'InvalidRequirementsFile';
  }
}

export interface RequirementsFileEntry {
  /** Line number (1-based) of the first physical line of the requirement. */
  line: number;
  /** The requirement as written, without its options. */
  text: string;
  /** The PEP 508 requirement; undefined for a bare URL or local path. */
  requirement: Requirement | undefined;
  /** Canonical project name when known (from the PEP 508 requirement). */
  name: string | undefined;
  /** Direct reference: 'name @ url', a bare URL or a local path. */
  url: string | undefined;
  /** The marker text after ';' of a bare URL or path (PEP 508 markers are in `requirement`). */
  urlMarker: string | undefined;
  editable: boolean;
  /** 'algorithm:hexdigest' as written (pip compares digests as text), in the order written. */
  hashes: string[];
  /** --config-settings and --global-option values, as written. */
  configSettings: string[];
  globalOptions: string[];
}

export interface Include {
  path: string;
  line: number;
}

export interface RequirementsFile {
  filename: string | undefined;
  /** Comment lines before the first option or requirement. */
  header: string[];
  /** Comment lines after the options and before the first requirement. */
  preamble: string[];
  indexUrl: string | undefined;
  extraIndexUrls: string[];
  noIndex: boolean;
  findLinks: string[];
  trustedHosts: string[];
  requireHashes: boolean;
  pre: boolean;
  preferBinary: boolean;
  /** --only-binary / --no-binary values, comma-split (':all:', ':none:' or project names). */
  onlyBinary: string[];
  noBinary: string[];
  useFeatures: string[];
  requirementFiles: Include[];
  constraintFiles: Include[];
  requirements: RequirementsFileEntry[];
}

// Python's str.splitlines boundaries.
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;
const COMMENT = /(^|\s+)#.*$/;
const STRONG_HASHES = ['sha256', 'sha384', 'sha512'];
const ENV_VAR = /\$\{([A-Z0-9_]+)\}/g;

type OptionKind = 'flag' | 'value';
interface OptionSpec {
  long: string;
  short?: string;
  kind: OptionKind;
}
// pip's SUPPORTED_OPTIONS and SUPPORTED_OPTIONS_REQ (the latter only matter on requirement lines).
const OPTIONS: OptionSpec[] = [
  { long: '--index-url', short: '-i', kind: 'value' },
  { long: '--extra-index-url', kind: 'value' },
  { long: '--no-index', kind: 'flag' },
  { long: '--constraint', short: '-c', kind: 'value' },
  { long: '--requirement', short: '-r', kind: 'value' },
  { long: '--editable', short: '-e', kind: 'value' },
  { long: '--find-links', short: '-f', kind: 'value' },
  { long: '--no-binary', kind: 'value' },
  { long: '--only-binary', kind: 'value' },
  { long: '--prefer-binary', kind: 'flag' },
  { long: '--require-hashes', kind: 'flag' },
  { long: '--pre', kind: 'flag' },
  { long: '--trusted-host', kind: 'value' },
  { long: '--use-feature', kind: 'value' },
  { long: '--global-option', kind: 'value' },
  { long: '--config-settings', kind: 'value' },
  { long: '--hash', kind: 'value' },
];

/** Python's str.strip(chars) for one character. */
function stripChar(s: string, c: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s[start] === c) start++;
  while (end > start && s[end - 1] === c) end--;
  return s.slice(start, end);
}

/** Logical lines: pip's join_lines (backslash continuations) then ignore_comments. */
function logicalLines(text: string): { line: number; text: string }[] {
  const physical = text.split(LINE_BREAK);
  // splitlines() yields no empty last line after a final line break.
  if (physical.length > 0 && physical[physical.length - 1] === '') physical.pop();
  const joined: { line: number; text: string }[] = [];
  let pending: string[] = [];
  let first = 0;
  physical.forEach((raw, i) => {
    const n = i + 1;
    // pip's COMMENT_RE.match: a comment from the start of the line never continues.
    const isComment = /^\s*#/.test(raw);
    if (!raw.endsWith('\\') || isComment) {
      const line = isComment ? ` ${raw}` : raw;
      if (pending.length > 0) {
        pending.push(line);
        joined.push({ line: first, text: pending.join('') });
        pending = [];
      } else {
        joined.push({ line: n, text: line });
      }
    } else {
      if (pending.length === 0) first = n;
      pending.push(stripChar(raw, '\\'));
    }
  });
  if (pending.length > 0) joined.push({ line: first, text: pending.join('') });
  return joined;
}

/** POSIX shlex.split as Python does it (no comments). */
function shlexSplit(s: string): string[] {
  const tokens: string[] = [];
  let token: string | null = null;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (token !== null) tokens.push(token);
      token = null;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw new Error('No closing quotation');
      token = (token ?? '') + s.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= s.length) throw new Error('No closing quotation');
        const d = s[i]!;
        if (d === '"') break;
        if (d === '\\' && i + 1 < s.length && (s[i + 1] === '"' || s[i + 1] === '\\')) {
          value += s[i + 1];
          i += 2;
        } else {
          value += d;
          i++;
        }
      }
      token = (token ?? '') + value;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new Error('No escaped character');
      token = (token ?? '') + s[i + 1];
      i += 2;
    } else {
      token = (token ?? '') + c;
      i++;
    }
  }
  if (token !== null) tokens.push(token);
  return tokens;
}

function findLong(name: string): OptionSpec {
  const exact = OPTIONS.find((o) => o.long === name);
  if (exact) return exact;
  // optparse accepts any unambiguous prefix of a long option.
  const matches = OPTIONS.filter((o) => o.long.startsWith(name));
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new Error(`no such option: ${name}`);
  throw new Error(`ambiguous option: ${name} (${matches.map((o) => o.long).join(', ')}?)`);
}

/** optparse over the shlex tokens: [long option name, value] pairs in order; positionals are ignored as pip does. */
function parseOptions(tokens: string[]): [string, string | true][] {
  const out: [string, string | true][] = [];
  let i = 0;
  while (i < tokens.length) {
    const tok = tokens[i++]!;
    if (tok === '--') break;
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      const spec = findLong(eq >= 0 ? tok.slice(0, eq) : tok);
      if (spec.kind === 'flag') {
        if (eq >= 0) throw new Error(`${spec.long} option does not take a value`);
        out.push([spec.long, true]);
      } else if (eq >= 0) {
        out.push([spec.long, tok.slice(eq + 1)]);
      } else {
        if (i >= tokens.length) throw new Error(`${spec.long} option requires 1 argument`);
        out.push([spec.long, tokens[i++]!]);
      }
    } else if (tok.startsWith('-') && tok.length > 1) {
      const spec = OPTIONS.find((o) => o.short === tok.slice(0, 2));
      if (!spec) throw new Error(`no such option: ${tok.slice(0, 2)}`);
      if (tok.length > 2) out.push([spec.long, tok.slice(2)]);
      else if (i < tokens.length) out.push([spec.long, tokens[i++]!]);
      else throw new Error(`${tok} option requires 1 argument`);
    }
    // Positional leftovers (optparse's args) are ignored, as pip ignores them.
  }
  return out;
}

/** pip's break_args_options: the requirement is every space-separated token before the first '-' one. */
function breakArgsOptions(line: string): [string, string] {
  const tokens = line.split(' ');
  const at = tokens.findIndex((t) => t.startsWith('-'));
  if (at < 0) return [tokens.join(' '), ''];
  return [tokens.slice(0, at).join(' '), tokens.slice(at).join(' ')];
}

// pip's is_url: the text before the first ':' is a scheme pip can fetch or a VCS scheme.
const URL_SCHEME = /^(?:https?|file|ftp|git|hg|svn|bzr|(?:git|hg|svn|bzr)\+[a-z-]+):/i;
// pip's ARCHIVE_EXTENSIONS (with its splitext, for which '.tar.gz' is one extension).
const ARCHIVE = /\.(?:zip|whl|tar\.bz2|tbz|tar\.xz|txz|tlz|tar\.lz|tar\.lzma|tar\.gz|tgz|tar)$/i;
const EXTRAS_SUFFIX = /^(.+)(\[[^\]]+\])$/s;

/**
 * A requirement's text as pip's parse_req_from_line reads it without touching the disk: a URL,
 * a local archive or directory path (a '/' in it or a leading '.'), else a PEP 508 requirement.
 * A directory must start with '.', '/' or '~' and hold no whitespace to be taken as one (pip
 * would look for it on disk instead).
 */
function parseRequirementText(
  text: string,
  editable: boolean,
  fail: (msg: string) => never,
): Pick<RequirementsFileEntry, 'text' | 'requirement' | 'name' | 'url' | 'urlMarker' | 'editable'> {
  const trimmed = pyStrip(text);
  const isUrl = URL_SCHEME.test(trimmed);
  // A URL's own ';' is kept: only '; ' starts its marker.
  const sep = isUrl ? '; ' : ';';
  const at = trimmed.indexOf(sep);
  const target = pyStrip(at >= 0 ? trimmed.slice(0, at) : trimmed);
  const urlMarker = at >= 0 ? pyStrip(trimmed.slice(at + sep.length)) || undefined : undefined;
  const path = EXTRAS_SUFFIX.exec(target)?.[1] ?? target;
  const pathLike = target.includes('/') || target.startsWith('.');
  const namedUrl = /^[^/]*@/.test(target) && !target.split('@')[0]!.startsWith('.');
  const isPath = pathLike && !namedUrl && (ARCHIVE.test(path) || (/^[./~]/.test(path) && !/\s/.test(path)));
  if (editable || isUrl || isPath) {
    if (target === '') fail('empty requirement');
    if (urlMarker !== undefined) {
      try {
        Marker.parse(urlMarker);
      } catch (err) {
        if (err instanceof InvalidMarker) fail(`invalid marker '${urlMarker}': ${err.message}`);
        throw err;
      }
    }
    return { text: trimmed, requirement: undefined, name: undefined, url: target, urlMarker, editable };
  }
  try {
    const requirement = Requirement.parse(trimmed);
    return {
      text: trimmed,
      requirement,
      name: canonicalizeName(requirement.name),
      url: requirement.url ?? undefined,
      urlMarker: undefined,
      editable,
    };
  } catch (err) {
    if (err instanceof InvalidRequirement) fail(`invalid requirement '${trimmed}': ${err.message}`);
    throw err;
  }
}

function splitFormats(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Parses a requirements file. Throws InvalidRequirementsFile naming the line. */
export function parseRequirementsFile(
  text: string,
  options: { filename?: string; env?: Readonly<Record<string, string>> } = {},
): RequirementsFile {
  const file: RequirementsFile = {
    filename: options.filename,
    header: [],
    preamble: [],
    indexUrl: undefined,
    extraIndexUrls: [],
    noIndex: false,
    findLinks: [],
    trustedHosts: [],
    requireHashes: false,
    pre: false,
    preferBinary: false,
    onlyBinary: [],
    noBinary: [],
    useFeatures: [],
    requirementFiles: [],
    constraintFiles: [],
    requirements: [],
  };
  let sawOption = false;
  for (const { line: lineNo, text: raw } of logicalLines(text)) {
    const fail = (msg: string): never => {
      throw new InvalidRequirementsFile(msg, lineNo, options.filename);
    };
    let stripped = pyStrip(raw.replace(COMMENT, ''));
    // pip's expand_env_variables: ${NAME} (upper case, digits, '_') when set and not empty.
    const env = options.env;
    if (env) stripped = stripped.replace(ENV_VAR, (ref, name: string) => (Object.hasOwn(env, name) && env[name] ? env[name] : ref));
    if (stripped === '') {
      const comment = raw.trim();
      if (comment.startsWith('#') && file.requirements.length === 0) {
        (sawOption ? file.preamble : file.header).push(comment);
      }
      continue;
    }
    const [args, optionText] = breakArgsOptions(stripped);
    let opts: [string, string | true][];
    try {
      opts = parseOptions(shlexSplit(optionText));
    } catch (err) {
      return fail(`invalid options '${optionText}': ${(err as Error).message}`);
    }
    const value = (name: string) => opts.filter(([n]) => n === name).map(([, v]) => v as string);
    // optparse checks every --hash as it reads it, on option lines too.
    const hashes = value('--hash').map((h) => {
      const colon = h.indexOf(':');
      if (colon < 0) fail(`--hash must be a hash name followed by a value, like --hash=sha256:abcde…, not '${h}'`);
      const algorithm = h.slice(0, colon);
      const digest = h.slice(colon + 1);
      if (!STRONG_HASHES.includes(algorithm)) {
        fail(`allowed hash algorithms for --hash are ${STRONG_HASHES.join(', ')}, not '${algorithm}'`);
      }
      if (!/^[0-9a-fA-F]+$/.test(digest)) fail(`--hash digest is not hexadecimal: '${h}'`);
      return `${algorithm}:${digest}`;
    });
    const editable = value('--editable');
    const isEditable = args.trim() === '' && editable.length > 0;
    if (args.trim() !== '' || isEditable) {
      const entry: RequirementsFileEntry = {
        line: lineNo,
        ...parseRequirementText(isEditable ? editable[0]! : args, isEditable, fail),
        // pip drops the per-requirement options of an editable.
        hashes: isEditable ? [] : hashes,
        configSettings: isEditable ? [] : value('--config-settings'),
        globalOptions: isEditable ? [] : value('--global-option'),
      };
      file.requirements.push(entry);
      continue;
    }
    sawOption = true;
    for (const [name, v] of opts) {
      const val = v as string;
      switch (name) {
        case '--index-url':
          file.indexUrl = val;
          break;
        case '--extra-index-url':
          file.extraIndexUrls.push(val);
          break;
        case '--no-index':
          file.noIndex = true;
          break;
        case '--find-links':
          file.findLinks.push(val);
          break;
        case '--trusted-host':
          file.trustedHosts.push(val);
          break;
        case '--require-hashes':
          file.requireHashes = true;
          break;
        case '--pre':
          file.pre = true;
          break;
        case '--prefer-binary':
          file.preferBinary = true;
          break;
        case '--only-binary':
          file.onlyBinary.push(...splitFormats(val));
          break;
        case '--no-binary':
          file.noBinary.push(...splitFormats(val));
          break;
        case '--use-feature':
          file.useFeatures.push(val);
          break;
        case '--requirement':
          file.requirementFiles.push({ path: val, line: lineNo });
          break;
        case '--constraint':
          file.constraintFiles.push({ path: val, line: lineNo });
          break;
        // --hash, --global-option, --config-settings outside a requirement line: pip ignores them.
      }
    }
  }
  return file;
}

/** Quotes a value for the option part of a line when shlex would split or alter it. */
function quote(value: string): string {
  return /^[\w@%+=:,./~-]+$/u.test(value) ? value : `'${value.replace(/'/g, `'"'"'`)}'`;
}

function entryLine(entry: RequirementsFileEntry): string {
  // The option part is shlex-split, but the requirement part is taken verbatim up to the first
  // token starting with '-', so a requirement's own text needs no quoting.
  const head = entry.editable ? `-e ${quote(entry.text)}` : entry.text;
  const options = [
    ...entry.configSettings.map((v) => `--config-settings=${quote(v)}`),
    ...entry.globalOptions.map((v) => `--global-option=${quote(v)}`),
    ...entry.hashes.map((h) => `--hash=${h}`),
  ];
  if (options.length <= 1) return [head, ...options].join(' ');
  return [head, ...options].join(' \\\n    ');
}

/**
 * Writes a requirements file deterministically: header comments, options in a fixed order,
 * preamble comments, then requirements in the order given (or by canonical name with `sort`).
 */
export function writeRequirementsFile(file: RequirementsFile, options: { sort?: boolean } = {}): string {
  const out: string[] = [...file.header];
  const opts: string[] = [];
  if (file.indexUrl !== undefined) opts.push(`--index-url ${quote(file.indexUrl)}`);
  for (const u of file.extraIndexUrls) opts.push(`--extra-index-url ${quote(u)}`);
  if (file.noIndex) opts.push('--no-index');
  for (const f of file.findLinks) opts.push(`--find-links ${quote(f)}`);
  for (const h of file.trustedHosts) opts.push(`--trusted-host ${quote(h)}`);
  if (file.requireHashes) opts.push('--require-hashes');
  if (file.pre) opts.push('--pre');
  if (file.preferBinary) opts.push('--prefer-binary');
  if (file.onlyBinary.length > 0) opts.push(`--only-binary ${quote(file.onlyBinary.join(','))}`);
  if (file.noBinary.length > 0) opts.push(`--no-binary ${quote(file.noBinary.join(','))}`);
  for (const f of file.useFeatures) opts.push(`--use-feature ${quote(f)}`);
  for (const r of file.requirementFiles) opts.push(`-r ${quote(r.path)}`);
  for (const c of file.constraintFiles) opts.push(`-c ${quote(c.path)}`);
  out.push(...opts);
  if (file.preamble.length > 0) out.push('', ...file.preamble);
  const reqs = [...file.requirements];
  if (options.sort) {
    const key = (e: RequirementsFileEntry) => e.name ?? e.text;
    reqs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  if (reqs.length > 0 && out.length > 0) out.push('');
  for (const r of reqs) out.push(entryLine(r));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
