// Requirements as closure and the resolver use them: parsed once per distinct string (real
// catalogs repeat the same Requires-Dist lines thousands of times), markers evaluated once per
// target and extra, and version matching with pip's pre-release rule.
import { PyvetError } from '../errors.js';
import { type Marker, type PreparedEnvironment, prepareEnvironment } from '../standards/markers.js';
import { canonicalizeName } from '../standards/names.js';
import { Requirement } from '../standards/requirements.js';
import { SpecifierSet } from '../standards/specifiers.js';
import { Version } from '../standards/version.js';
import type { Target } from './targets.js';

export interface ParsedRequirement {
  /** As written. */
  text: string;
  /** PEP 503-normalized project name. */
  project: string;
  /** Normalized extras, sorted. */
  extras: string[];
  specifier: SpecifierSet;
  /** The specifier as text ('' when any version will do). */
  specifierText: string;
  marker: Marker | null;
  markerText: string | null;
  /** Has an `==` (not wildcard) or `===` clause: pip resolves these first. */
  pinned: boolean;
  /** A direct URL reference (`name @ url`): never satisfiable from the index. */
  url: string | null;
}

const parsed = new Map<string, ParsedRequirement>();

/** Parses a PEP 508 requirement, memoized by its text. Throws the standards' InvalidRequirement. */
export function parseRequirement(text: string): ParsedRequirement {
  let r = parsed.get(text);
  if (!r) {
    const req = Requirement.parse(text);
    const specifierText = String(req.specifier);
    const markerText = req.marker ? String(req.marker) : null;
    r = {
      text,
      project: canonicalizeName(req.name),
      extras: [...req.extras].map((e) => canonicalizeName(e)).sort(),
      specifier: req.specifier,
      specifierText,
      marker: req.marker ?? null,
      markerText,
      pinned: /(^|,)\s*===?\s*[^,*]*(,|$)/.test(specifierText) && !/(^|,)\s*==\s*[^,]*\*/.test(specifierText),
      url: req.url ?? null,
    };
    parsed.set(text, r);
  }
  return r;
}

/** Like parseRequirement, but a malformed line is a PyvetError naming where it came from. */
export function parseRequirementFrom(text: string, where: string): ParsedRequirement {
  try {
    return parseRequirement(text);
  } catch (err) {
    throw new PyvetError('REQUIREMENT_INVALID', 'invalid', `${where}: ${(err as Error).message}`, {
      requirement: text,
      where,
    });
  }
}

const markerResults = new WeakMap<Target, Map<string, boolean>>();
// The common case (no extra) keyed by the parsed requirement itself: no key string to build.
const plainResults = new WeakMap<Target, Map<ParsedRequirement, boolean>>();

/** Whether a requirement applies on a target for one extra ('' = no extra), memoized per target. */
export function markerApplies(r: ParsedRequirement, target: Target, extra = ''): boolean {
  if (!r.marker) return true;
  if (extra === '') {
    let plain = plainResults.get(target);
    if (!plain) {
      plain = new Map();
      plainResults.set(target, plain);
    }
    let ok = plain.get(r);
    if (ok === undefined) {
      ok = evaluateMarker(r.marker, target, '');
      plain.set(r, ok);
    }
    return ok;
  }
  let cache = markerResults.get(target);
  if (!cache) {
    cache = new Map();
    markerResults.set(target, cache);
  }
  const key = `${extra}\u0000${r.markerText}`;
  let ok = cache.get(key);
  if (ok === undefined) {
    ok = evaluateMarker(r.marker, target, extra);
    cache.set(key, ok);
  }
  return ok;
}

const prepared = new WeakMap<Target, Map<string, PreparedEnvironment>>();

function evaluateMarker(marker: Marker, target: Target, extra: string): boolean {
  let envs = prepared.get(target);
  if (!envs) {
    envs = new Map();
    prepared.set(target, envs);
  }
  let env = envs.get(extra);
  if (!env) {
    env = prepareEnvironment({ ...target.environment, extra });
    envs.set(extra, env);
  }
  try {
    return marker.evaluate(env);
  } catch {
    // A comparison the marker language cannot decide counts as false, as pip skips it.
    return false;
  }
}

const specifiers = new Map<string, SpecifierSet>();

export function parseSpecifier(text: string): SpecifierSet {
  let s = specifiers.get(text);
  if (!s) {
    s = SpecifierSet.parse(text);
    specifiers.set(text, s);
  }
  return s;
}

const pythonChecks = new WeakMap<Target, Map<string, boolean>>();

/** Whether a Requires-Python value admits the target's python_full_version (as pip checks it). */
export function requiresPythonAdmits(requiresPython: string | null, target: Target): boolean {
  if (!requiresPython || requiresPython.trim() === '') return true;
  let cache = pythonChecks.get(target);
  if (!cache) {
    cache = new Map();
    pythonChecks.set(target, cache);
  }
  let ok = cache.get(requiresPython);
  if (ok === undefined) {
    try {
      ok = parseSpecifier(requiresPython).contains(target.environment.python_full_version, { prereleases: true });
    } catch {
      // pip ignores a Requires-Python it cannot parse.
      ok = true;
    }
    cache.set(requiresPython, ok);
  }
  return ok;
}

/** Anything with a parsed version. */
export interface Versioned {
  version: Version;
}

/** A specifier with its text, as ParsedRequirement carries it. */
export interface SpecifierLike {
  specifier: SpecifierSet;
  specifierText: string;
}

const CLAUSE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*(.*?)\s*$/;
const mentions = new Map<string, boolean>();

/**
 * Whether a clause of the specifier names a pre-release it admits (packaging's
 * Specifier.prereleases: `==`, `===`, `>=`, `<=`, `~=` with a pre-release version).
 */
export function mentionsPrerelease(specifierText: string): boolean {
  let m = mentions.get(specifierText);
  if (m === undefined) {
    m = specifierText.split(',').some((clause) => {
      const c = CLAUSE.exec(clause);
      if (!c || c[1] === '!=' || c[1] === '<' || c[1] === '>') return false;
      const v = Version.tryParse(c[1] === '==' ? c[2]!.replace(/\.\*$/, '') : c[2]!);
      return v?.isPrerelease === true;
    });
    mentions.set(specifierText, m);
  }
  return m;
}

const ANY_PRE = { prereleases: true } as const;

/**
 * The items whose version every specifier admits, in input order, choosing pre-releases the
 * way pip's finder does (packaging 21.3, which pip vendors): with --pre, always; else when a
 * clause names a pre-release; and with no clause at all, only when no final release exists.
 */
export function matching<T extends Versioned>(specs: readonly SpecifierLike[], items: readonly T[], prereleases?: boolean): T[] {
  const inAll = items.filter((i) => specs.every((s) => s.specifier.contains(i.version, ANY_PRE)));
  if (prereleases) return inAll;
  if (specs.some((s) => s.specifierText !== '')) {
    return specs.some((s) => mentionsPrerelease(s.specifierText)) ? inAll : inAll.filter((i) => !i.version.isPrerelease);
  }
  const finals = inAll.filter((i) => !i.version.isPrerelease);
  return finals.length > 0 ? finals : inAll;
}

/** Whether `matching([spec], items)` is non-empty, without building it (closure asks this a lot). */
export function anyMatching(spec: SpecifierLike, items: readonly Versioned[], prereleases?: boolean): boolean {
  const allowPre = prereleases === true || (spec.specifierText !== '' && mentionsPrerelease(spec.specifierText));
  let pre = false;
  for (const i of items) {
    if (!spec.specifier.contains(i.version, ANY_PRE)) continue;
    if (allowPre || !i.version.isPrerelease) return true;
    pre = true;
  }
  // No clause at all: a pre-release will do when nothing final exists.
  return pre && spec.specifierText === '';
}
