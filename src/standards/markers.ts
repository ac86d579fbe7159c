// PEP 508 environment markers, matching packaging 26.2 (packaging.markers) exactly: the same
// grammar and error positions, the same normalized string (including its quirks), the same
// evaluation rules (version comparison through a Specifier when both sides allow it, string
// operators otherwise, `extra`/`extras`/`dependency_groups` name normalisation) and the same
// errors. Environments are always explicit: nothing here reads the host.

import { PyvetError } from '../errors.js';
import { canonicalizeName } from './names.js';
import {
  type MarkerComparison,
  type MarkerGroup,
  type MarkerNode,
  type MarkerOp,
  type MarkerOperand,
  cached,
  cachedSpecifier,
  parseMarkerExpression,
  Scanner,
  SyntaxFault,
} from './pep508-scanner.js';
import type { Specifier } from './specifiers.js';
import { Version } from './version.js';

export type { MarkerComparison, MarkerGroup, MarkerNode, MarkerOp, MarkerOperand };

export class InvalidMarker extends PyvetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_MARKER', 'invalid', message, details);
    this.name = 'InvalidMarker';
  }
}

/** A comparison packaging leaves undefined: `~=`/`===` on plain strings, a set on the left. */
export class UndefinedComparison extends PyvetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNDEFINED_COMPARISON', 'invalid', message, details);
    this.name = 'UndefinedComparison';
  }
}

/** The marker names a variable the environment does not define. */
export class UndefinedEnvironmentName extends PyvetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('UNDEFINED_ENVIRONMENT_NAME', 'invalid', message, details);
    this.name = 'UndefinedEnvironmentName';
  }
}

/** Where a marker is evaluated decides which variables exist by default (packaging's EvaluateContext). */
export type EvaluateContext = 'metadata' | 'lock_file' | 'requirement';

/**
 * The values markers are evaluated against. `extras` and `dependency_groups` (lock files) are
 * sets of names; every other variable is a string. Unknown keys are allowed: a marker comparing
 * two quoted strings looks the right-hand one up as a key, exactly like packaging.
 */
export interface MarkerEnvironment {
  readonly implementation_name?: string;
  readonly implementation_version?: string;
  readonly os_name?: string;
  readonly platform_machine?: string;
  readonly platform_release?: string;
  readonly platform_system?: string;
  readonly platform_version?: string;
  readonly python_full_version?: string;
  readonly platform_python_implementation?: string;
  readonly python_version?: string;
  readonly sys_platform?: string;
  readonly extra?: string;
  readonly extras?: Iterable<string>;
  readonly dependency_groups?: Iterable<string>;
  readonly [key: string]: string | Iterable<string> | undefined;
}

// platform.python_implementation() for each sys.implementation.name.
const PYTHON_IMPLEMENTATIONS = new Map([
  ['cpython', 'CPython'],
  ['pypy', 'PyPy'],
  ['graalpy', 'GraalVM'],
  ['ironpython', 'IronPython'],
  ['jython', 'Jython'],
]);
// platform.system() for each sys.platform, trailing version digits removed (freebsd14, sunos5).
const PLATFORM_SYSTEMS = new Map([
  ['linux', 'Linux'],
  ['darwin', 'Darwin'],
  ['win', 'Windows'],
  ['emscripten', 'Emscripten'],
  ['ios', 'iOS'],
  ['android', 'Android'],
  ['freebsd', 'FreeBSD'],
  ['aix', 'AIX'],
  ['sunos', 'SunOS'],
]);

/**
 * A complete environment for a described target (what packaging's default_environment() would
 * report on it), derived from its Python version and sys.platform; any value given overrides the
 * derived one. Pure: the host is never consulted.
 */
export function markerEnvironment(
  target: { python_full_version: string; sys_platform: string } & MarkerEnvironment,
): MarkerEnvironment {
  const full = target.python_full_version;
  const implementation = target.implementation_name ?? 'cpython';
  return {
    implementation_name: implementation,
    implementation_version: implementation === 'cpython' ? full : '',
    os_name: target.sys_platform === 'win32' ? 'nt' : 'posix',
    platform_machine: '',
    platform_release: '',
    platform_system: PLATFORM_SYSTEMS.get(target.sys_platform.replace(/\d+$/, '')) ?? '',
    platform_version: '',
    platform_python_implementation: PYTHON_IMPLEMENTATIONS.get(implementation) ?? implementation,
    python_version: full.split('.').slice(0, 2).join('.'),
    ...target,
  };
}

const ALLOWING_SET = new Set(['extras', 'dependency_groups']);
const REQUIRING_VERSION = new Set(['implementation_version', 'platform_release', 'python_full_version', 'python_version']);

type EnvValue = string | ReadonlySet<string>;

/**
 * An environment made ready for evaluating many markers: context defaults applied, `extra`
 * canonicalized and python_full_version repaired once, `extras`/`dependency_groups` canonicalized
 * on first use. It reads the given environment, which must not change while it is in use.
 * Prepare once per target, then evaluate every marker with it.
 */
export class PreparedEnvironment {
  readonly context: EvaluateContext;
  private readonly environment: MarkerEnvironment;
  // Values that differ from `environment`: the normalized `extra`, the repaired
  // python_full_version, and sets (canonicalized for extras/dependency_groups) made on first use.
  private readonly extra: string | undefined;
  private readonly fullVersion: string | undefined;
  private sets: Map<string, EnvValue> | undefined;

  constructor(environment: MarkerEnvironment, context: EvaluateContext = 'metadata') {
    this.context = context;
    this.environment = environment;
    const extra = ownValue(environment, 'extra');
    if (typeof extra === 'string') this.extra = extra === '' ? '' : canonicalizeName(extra);
    else if (context === 'metadata') this.extra = '';
    // platform.python_version() of an untagged build ends with '+', which is not PEP 440.
    const full = ownValue(environment, 'python_full_version');
    if (typeof full === 'string' && full.endsWith('+')) this.fullVersion = `${full}local`;
  }

  get(key: string): EnvValue {
    if (key === 'extra' && this.extra !== undefined) return this.extra;
    if (key === 'python_full_version' && this.fullVersion !== undefined) return this.fullVersion;
    const known = this.sets?.get(key);
    if (known !== undefined) return known;
    const value = ownValue(this.environment, key);
    if (typeof value === 'string' && !ALLOWING_SET.has(key)) return value;
    if (value === undefined) {
      if (this.context === 'lock_file' && ALLOWING_SET.has(key)) return this.remember(key, new Set());
      throw new UndefinedEnvironmentName(`marker variable '${key}' is not defined in the evaluation environment`, {
        variable: key,
        context: this.context,
      });
    }
    if (ALLOWING_SET.has(key)) {
      return this.remember(key, typeof value === 'string' ? canonicalizeName(value) : new Set(Array.from(value, (v) => canonicalizeName(v))));
    }
    return this.remember(key, new Set(value));
  }

  private remember(key: string, value: EnvValue): EnvValue {
    this.sets ??= new Map();
    this.sets.set(key, value);
    return value;
  }
}

function ownValue(environment: MarkerEnvironment, key: string): string | Iterable<string> | undefined {
  return Object.hasOwn(environment, key) ? environment[key] : undefined;
}

/** Prepares an environment once for evaluating many markers (see PreparedEnvironment). */
export function prepareEnvironment(environment: MarkerEnvironment, context: EvaluateContext = 'metadata'): PreparedEnvironment {
  return new PreparedEnvironment(environment, context);
}

// Versions met in markers come from a small universe (Python versions, platform releases).
const markerVersion = (s: string): Version | null => cached(versionCache, s, Version.tryParse);
const versionCache = new Map<string, Version | null>();

type Evaluator = (env: PreparedEnvironment) => boolean;

/** A parsed PEP 508 marker. Immutable; evaluation is compiled to closures on first use. */
export class Marker {
  readonly tree: MarkerGroup;
  private text: string | undefined;
  private compiled: Evaluator | undefined;

  private constructor(tree: MarkerGroup) {
    this.tree = tree;
  }

  /** Parses a marker expression; throws InvalidMarker with packaging's message and position. */
  static parse(source: string): Marker {
    const t = new Scanner(source);
    try {
      const tree = parseMarkerExpression(t);
      if (!t.atEnd()) t.expected('end of marker expression');
      return Marker.fromTree(tree);
    } catch (err) {
      if (err instanceof SyntaxFault) throw invalidMarker(err);
      throw err;
    }
  }

  /** Wraps a parsed tree, normalizing `extra` values as packaging does (top-level comparisons only). */
  static fromTree(tree: MarkerGroup): Marker {
    const items = tree.items.map(normalizeExtra);
    return new Marker(items.every((item, i) => item === tree.items[i]) ? tree : { kind: 'group', items, joins: tree.joins });
  }

  /** `this and other`, as packaging's `&` builds it (each side kept whole, printed in parentheses when compound). */
  and(other: Marker): Marker {
    return new Marker({ kind: 'group', items: [this.tree, other.tree], joins: ['and'] });
  }

  /** `this or other`, as packaging's `|` builds it. */
  or(other: Marker): Marker {
    return new Marker({ kind: 'group', items: [this.tree, other.tree], joins: ['or'] });
  }

  /** packaging's str(Marker). */
  toString(): string {
    this.text ??= formatNode(this.tree, true);
    return this.text;
  }

  toJSON(): string {
    return this.toString();
  }

  equals(other: Marker): boolean {
    return this.toString() === other.toString();
  }

  /**
   * Evaluates against an explicit environment (packaging's Marker.evaluate with the host defaults
   * left out). A PreparedEnvironment is used as is: its own context applies.
   * Throws UndefinedEnvironmentName or UndefinedComparison as packaging does.
   */
  evaluate(environment: MarkerEnvironment | PreparedEnvironment, context: EvaluateContext = 'metadata'): boolean {
    const env = environment instanceof PreparedEnvironment ? environment : new PreparedEnvironment(environment, context);
    this.compiled ??= compileGroup(this.tree);
    return this.compiled(env);
  }
}

function invalidMarker(fault: SyntaxFault): InvalidMarker {
  return new InvalidMarker(fault.format(), { marker: fault.source, position: fault.start, end: fault.end });
}

function normalizeExtra(node: MarkerNode): MarkerNode {
  if (node.kind !== 'compare') return node;
  const { lhs, rhs } = node;
  if (lhs.kind === 'variable' && lhs.name === 'extra') {
    return { ...node, rhs: { kind: 'value', value: canonicalizeName(operandText(rhs)) } };
  }
  if (rhs.kind === 'variable' && rhs.name === 'extra') {
    return { ...node, lhs: { kind: 'value', value: canonicalizeName(operandText(lhs)) } };
  }
  return node;
}

/** packaging's Node.value: a variable's name or a value's text. */
function operandText(o: MarkerOperand): string {
  return o.kind === 'variable' ? o.name : o.value;
}

function formatOperand(o: MarkerOperand): string {
  // Values are quoted without escaping, as packaging does.
  return o.kind === 'variable' ? o.name : `"${o.value}"`;
}

function formatNode(node: MarkerNode, first: boolean): string {
  if (node.kind === 'compare') return `${formatOperand(node.lhs)} ${node.op} ${formatOperand(node.rhs)}`;
  // A group of one is printed without parentheses at any depth, so `((a or b)) and c` prints as
  // `a or b and c`: packaging's _format_marker does this, and the string form must match it.
  if (node.items.length === 1) return formatNode(node.items[0] as MarkerNode, true);
  let out = formatNode(node.items[0] as MarkerNode, false);
  for (let i = 1; i < node.items.length; i++) out += ` ${node.joins[i - 1]} ${formatNode(node.items[i] as MarkerNode, false)}`;
  return first ? out : `(${out})`;
}

function compileNode(node: MarkerNode): Evaluator {
  return node.kind === 'compare' ? compileComparison(node) : compileGroup(node);
}

function compileGroup(group: MarkerGroup): Evaluator {
  const children = group.items.map(compileNode);
  if (children.length === 1) return children[0] as Evaluator;
  const orBefore = [false, ...group.joins.map((j) => j === 'or')];
  // Every operand is evaluated, as packaging does, so an undefined name or comparison anywhere
  // raises even when the result is already known.
  return (env) => {
    let any = false;
    let all = true;
    for (let i = 0; i < children.length; i++) {
      const value = (children[i] as Evaluator)(env);
      if (orBefore[i]) {
        any = any || all;
        all = true;
      }
      all = all && value;
    }
    return any || all;
  };
}

function compileComparison(node: MarkerComparison): Evaluator {
  const { lhs, op, rhs } = node;
  // The variable on the left is looked up; otherwise the right-hand side names the key, even when
  // it is a quoted string (packaging reads `environment[rhs.value]`).
  const envOnLeft = lhs.kind === 'variable';
  const key = envOnLeft ? lhs.name : operandText(rhs);
  let literal = envOnLeft ? operandText(rhs) : lhs.value;
  const setKey = ALLOWING_SET.has(key);
  if (setKey) literal = canonicalizeName(literal);
  const versionKey = REQUIRING_VERSION.has(key);

  if (envOnLeft) {
    const spec = versionKey ? cachedSpecifier(op + literal) : null;
    return (env) => {
      const value = env.get(key);
      if (typeof value !== 'string') {
        throw new UndefinedComparison(`cannot compare the set '${key}' with ${op}: it must be on the right of 'in'`, {
          variable: key,
          op,
        });
      }
      if (spec !== null) return specifierContains(spec, value);
      return stringOp(value, op, literal, key);
    };
  }
  return (env) => {
    const value = env.get(key);
    if (versionKey && typeof value === 'string') {
      const spec = cachedSpecifier(op + value);
      if (spec !== null) return specifierContains(spec, literal);
    }
    return stringOp(literal, op, value, key);
  };
}

// packaging compares marker versions with prereleases=True.
const WITH_PRERELEASES = { prereleases: true } as const;

function specifierContains(spec: Specifier, item: string): boolean {
  if (spec.operator === '===') return spec.contains(item, WITH_PRERELEASES);
  const version = markerVersion(item);
  return version !== null && spec.contains(version, WITH_PRERELEASES);
}

function stringOp(lhs: string, op: MarkerOp, rhs: EnvValue, key: string): boolean {
  switch (op) {
    case 'in':
      return typeof rhs === 'string' ? rhs.includes(lhs) : rhs.has(lhs);
    case 'not in':
      return typeof rhs === 'string' ? !rhs.includes(lhs) : !rhs.has(lhs);
    case '<':
    case '>':
      return false;
    case '<=':
    case '==':
    case '>=':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    default:
      throw new UndefinedComparison(
        `undefined comparison ${op} on ${JSON.stringify(lhs)} and ${typeof rhs === 'string' ? JSON.stringify(rhs) : `{${[...rhs].join(', ')}}`} (marker variable '${key}' is not a version)`,
        { variable: key, op },
      );
  }
}
