// The vetting policy: a YAML or TOML file of gates, validated strictly (an unknown key is an
// error, not a silently ignored typo) with errors that name the line and column. Stored in the
// catalog by `pyvet policy set` (with an audit entry), else read from config.vetting.policy_file,
// else the built-in defaults.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { PyvetError } from '../errors.js';
import type { Actor, Repository } from '../repository/types.js';
import { requireRole } from '../repository/roles.js';
import { normalizeSpdx } from '../artifacts/license.js';
import { Requirement } from '../standards/requirements.js';

// PEP 508 / core metadata Name: what a project can be called, so what a deny entry can match.
const PROJECT_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

export type OnNewlyVulnerable = 'report' | 'yank';
export type PolicyFormat = 'yaml' | 'toml';
const TEXT_SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'MODERATE', 'LOW'] as const;

export interface Policy {
  /** A finding with a CVSS score at or above this blocks (held for review). */
  max_cvss: number;
  /** Findings without a score but with one of these text severities block. */
  block_unscored_severities: string[];
  /** Findings with neither a score nor a severity block (most PyPA advisories carry no vector). */
  block_unknown_severity: boolean;
  licenses: { allow: string[]; deny: string[] };
  /** Files uploaded upstream less than this many days ago are held. 0 = off. */
  min_release_age_days: number;
  /** Name globs the company owns: from an upstream origin they are rejected. */
  owned_names: string[];
  /** Names or requirement specifiers ("foo", "bar<2.0") that are rejected. */
  deny: string[];
  typosquat: { enabled: boolean; max_distance: number; allow: string[] };
  /** Largest file accepted without review; null = no limit beyond ingest's own. */
  max_file_bytes: number | null;
  allow_sdists: boolean;
  /** Approve automatically when every gate passes. */
  auto_approve: boolean;
  /** What happens to an approved file that a new advisory makes vulnerable. */
  on_newly_vulnerable: OnNewlyVulnerable;
}

export function defaultPolicy(): Policy {
  return {
    max_cvss: 7.0,
    block_unscored_severities: ['CRITICAL', 'HIGH'],
    block_unknown_severity: true,
    licenses: { allow: [], deny: [] },
    min_release_age_days: 0,
    owned_names: [],
    deny: [],
    typosquat: { enabled: true, max_distance: 1, allow: [] },
    max_file_bytes: null,
    allow_sdists: true,
    auto_approve: false,
    on_newly_vulnerable: 'report',
  };
}

/** Where a value sits in the policy text, for error messages. */
type Locate = (path: string[], at?: 'key' | 'value') => { line: number; column: number } | null;

function policyError(source: string, where: { line: number; column: number } | null, message: string): PyvetError {
  const at = where ? `${source}:${where.line}:${where.column}` : source;
  return new PyvetError('POLICY_INVALID', 'invalid', `${at}: ${message}`, {
    source,
    ...(where ? { line: where.line, column: where.column } : {}),
  });
}

function validate(raw: unknown, source: string, locate: Locate): Policy {
  const policy = defaultPolicy();
  if (raw === null || raw === undefined) return policy;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw policyError(source, null, 'a policy must be a mapping');
  const fail = (path: string[], message: string, at: 'key' | 'value' = 'value') =>
    policyError(source, locate(path, at), `${path.join('.')}: ${message}`);
  const num = (path: string[], v: unknown, min: number, max: number): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      throw fail(path, `must be a number from ${min} to ${max}`);
    }
    return v;
  };
  const bool = (path: string[], v: unknown): boolean => {
    if (typeof v !== 'boolean') throw fail(path, 'must be true or false');
    return v;
  };
  const strs = (path: string[], v: unknown): string[] => {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) {
      throw fail(path, 'must be a list of non-empty strings');
    }
    return (v as string[]).map((x) => x.trim());
  };
  const table = (path: string[], v: unknown, keys: string[]): Record<string, unknown> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw fail(path, 'must be a mapping');
    for (const k of Object.keys(v)) {
      if (!keys.includes(k)) throw fail([...path, k], `unknown setting (expected one of: ${keys.join(', ')})`, 'key');
    }
    return v as Record<string, unknown>;
  };
  // Each entry one SPDX licence id (or LicenseRef-…, "ID WITH exception", "ID+"), stored in its
  // current form (GPL-3.0 → GPL-3.0-only). A misspelt id would match nothing and an expression
  // entry has no clear meaning next to the OR/AND rules, so both are refused, not ignored.
  const licenseIds = (path: string[], v: unknown): string[] =>
    strs(path, v).map((entry, i) => {
      const id = normalizeSpdx(entry);
      if (id === undefined) {
        throw fail(
          [...path, String(i)],
          `'${entry}' is not an SPDX licence id (see https://spdx.org/licenses/; LicenseRef-… for others)`,
        );
      }
      if (/\s(AND|OR)\s/.test(id)) {
        throw fail(
          [...path, String(i)],
          `'${entry}' is an expression: list each SPDX licence id on its own (a file's 'A OR B' passes when A or B passes, 'A AND B' when both do)`,
        );
      }
      return id;
    });
  const top = table([], raw, Object.keys(policy));
  for (const [key, v] of Object.entries(top)) {
    const p = [key];
    switch (key) {
      case 'max_cvss':
        policy.max_cvss = num(p, v, 0, 10);
        break;
      case 'block_unscored_severities': {
        const list = strs(p, v).map((s) => s.toUpperCase());
        const bad = list.find((s) => !(TEXT_SEVERITIES as readonly string[]).includes(s));
        if (bad) throw fail(p, `unknown severity '${bad}' (expected ${TEXT_SEVERITIES.join(', ')})`);
        policy.block_unscored_severities = list;
        break;
      }
      case 'block_unknown_severity':
        policy.block_unknown_severity = bool(p, v);
        break;
      case 'licenses': {
        const t = table(p, v, ['allow', 'deny']);
        if (t.allow !== undefined) policy.licenses.allow = licenseIds([...p, 'allow'], t.allow);
        if (t.deny !== undefined) policy.licenses.deny = licenseIds([...p, 'deny'], t.deny);
        break;
      }
      case 'min_release_age_days':
        policy.min_release_age_days = num(p, v, 0, 3650);
        break;
      case 'owned_names':
        policy.owned_names = strs(p, v);
        break;
      case 'deny': {
        policy.deny = strs(p, v);
        for (const [i, entry] of policy.deny.entries()) {
          let req: Requirement;
          try {
            req = Requirement.parse(entry);
          } catch (err) {
            throw fail([...p, String(i)], `'${entry}' is not a name or requirement: ${(err as Error).message}`);
          }
          // The deny gate matches a name and version only: a marker, extra or URL would be
          // silently dropped and the entry would then deny more than it says.
          const unsupported = req.marker !== null ? 'a marker' : req.extras.length > 0 ? 'extras' : req.url !== null ? 'a URL' : null;
          if (unsupported !== null) {
            throw fail([...p, String(i)], `'${entry}' has ${unsupported}; deny entries are a project name with an optional version specifier ("foo", "foo<2.0")`);
          }
          if (!PROJECT_NAME.test(req.name)) {
            throw fail([...p, String(i)], `'${entry}': '${req.name}' is not a valid project name (letters, digits, '.', '_' and '-', starting and ending with a letter or digit)`);
          }
        }
        break;
      }
      case 'typosquat': {
        const t = table(p, v, ['enabled', 'max_distance', 'allow']);
        if (t.enabled !== undefined) policy.typosquat.enabled = bool([...p, 'enabled'], t.enabled);
        if (t.max_distance !== undefined) {
          const d = num([...p, 'max_distance'], t.max_distance, 1, 2);
          if (!Number.isInteger(d)) throw fail([...p, 'max_distance'], 'must be 1 or 2');
          policy.typosquat.max_distance = d;
        }
        if (t.allow !== undefined) policy.typosquat.allow = strs([...p, 'allow'], t.allow);
        break;
      }
      case 'max_file_bytes':
        policy.max_file_bytes = v === null ? null : num(p, v, 1, Number.MAX_SAFE_INTEGER);
        break;
      case 'allow_sdists':
        policy.allow_sdists = bool(p, v);
        break;
      case 'auto_approve':
        policy.auto_approve = bool(p, v);
        break;
      case 'on_newly_vulnerable':
        if (v !== 'report' && v !== 'yank') throw fail(p, "must be 'report' or 'yank'");
        policy.on_newly_vulnerable = v;
        break;
    }
  }
  return policy;
}

function yamlLocate(doc: ReturnType<typeof parseDocument>, lines: LineCounter): Locate {
  return (path, at = 'value') => {
    if (at === 'key' && path.length > 0) {
      // The key itself: find its pair in the parent mapping.
      const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === path.at(-1));
        const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
        if (range) {
          const pos = lines.linePos(range[0]);
          return { line: pos.line, column: pos.col };
        }
      }
    }
    // The deepest node that exists along the path.
    for (let n = path.length; n >= 0; n--) {
      const keys = path.slice(0, n).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
      const node = (n === 0 ? doc.contents : doc.getIn(keys, true)) as YamlNode | null | undefined;
      if (node && (isScalar(node) || isMap(node) || isSeq(node)) && node.range) {
        const pos = lines.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return null;
  };
}

function tomlLocate(text: string): Locate {
  const lines = text.split('\n');
  return (path) => {
    // TOML gives no positions after parsing: find the key's line (`key =` or a `[table]` header).
    for (let n = path.length; n >= 1; n--) {
      const key = path[n - 1]!;
      if (/^\d+$/.test(key)) continue;
      const re = new RegExp(`^\\s*(?:\\[\\s*)?(?:[\\w.]*\\.)?${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*(?:=|\\])`);
      const i = lines.findIndex((l) => re.test(l));
      if (i >= 0) return { line: i + 1, column: lines[i]!.search(/\S/) + 1 };
    }
    return null;
  };
}

/** Parses and validates a policy text. `source` names it in errors (a file name). */
export function parsePolicy(text: string, format: PolicyFormat, source: string): Policy {
  if (format === 'toml') {
    let raw: unknown;
    try {
      raw = parseToml(text);
    } catch (err) {
      const where = err instanceof TomlError ? { line: err.line, column: err.column } : null;
      throw policyError(source, where, `not valid TOML: ${(err as Error).message.split('\n')[0]}`);
    }
    return validate(raw, source, tomlLocate(text));
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const pos = lines.linePos(first.pos[0]);
    throw policyError(source, { line: pos.line, column: pos.col }, `not valid YAML: ${first.message.split('\n')[0]}`);
  }
  return validate(doc.toJS(), source, yamlLocate(doc, lines));
}

export function formatOf(path: string): PolicyFormat {
  return /\.toml$/i.test(path) ? 'toml' : 'yaml';
}

const POLICY_KEY = 'vetting.policy';

/** A policy with where it came from. */
export interface LoadedPolicy {
  policy: Policy;
  /** 'catalog' (set with `pyvet policy set`), 'file:<path>' (config), or 'defaults'. */
  source: string;
  text: string | null;
  format: PolicyFormat | null;
}

interface StoredPolicy {
  text: string;
  format: PolicyFormat;
  name: string;
  setAt: string;
  setBy: string;
}

/** The policy in force. */
export async function loadPolicy(repo: Repository): Promise<LoadedPolicy> {
  const stored = await repo.catalog.settings.get(POLICY_KEY);
  if (stored) {
    const s = JSON.parse(stored) as StoredPolicy;
    let policy: Policy;
    try {
      policy = parsePolicy(s.text, s.format, s.name);
    } catch (err) {
      // Stored under older rules (an entry that is now refused, e.g. a licence expression in a
      // list): vetting stops, closed, until the operator says what the policy means.
      if (!(err instanceof PyvetError)) throw err;
      throw new PyvetError(
        err.code,
        err.kind,
        `the policy stored in the catalog (set from ${s.name}) no longer passes validation: ${err.message}. Nothing is vetted until it does: fix the file and run pyvet policy set`,
        err.details,
        { cause: err },
      );
    }
    return { policy, source: 'catalog', text: s.text, format: s.format };
  }
  const file = repo.config.vetting.policy_file;
  if (file) {
    const path = isAbsolute(file) ? file : join(repo.config.data_dir, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new PyvetError('POLICY_NOT_FOUND', 'not_found', `policy file ${path}: ${(err as Error).message}`, { path });
    }
    const format = formatOf(path);
    return { policy: parsePolicy(text, format, path), source: `file:${path}`, text, format };
  }
  return { policy: defaultPolicy(), source: 'defaults', text: null, format: null };
}

/** Reads and validates a policy file without storing it. */
export async function checkPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PyvetError('POLICY_NOT_FOUND', 'not_found', `policy file ${path}: ${(err as Error).message}`, { path });
  }
  return parsePolicy(text, formatOf(path), path);
}

/** Validates and stores a policy (admin role), with an audit entry holding the before and after. */
export async function setPolicy(
  repo: Repository,
  path: string,
  actor: Actor,
  opts: { now?: () => Date } = {},
): Promise<LoadedPolicy> {
  requireRole(actor, 'admin', 'set the vetting policy');
  const policy = await checkPolicyFile(path);
  const text = await readFile(path, 'utf8');
  const format = formatOf(path);
  const at = (opts.now ?? (() => new Date()))().toISOString();
  await repo.catalog.transaction(async (tx) => {
    const before = await tx.settings.get(POLICY_KEY);
    const stored: StoredPolicy = { text, format, name: path, setAt: at, setBy: actor.name };
    await tx.settings.set(POLICY_KEY, JSON.stringify(stored));
    await tx.audit.append({
      actor: actor.name,
      action: 'policy.change',
      subject: 'vetting-policy',
      details: {
        file: path,
        format,
        policy: policy as unknown as Record<string, unknown>,
        previous: before ? (JSON.parse(before) as StoredPolicy).text : null,
      },
    });
  });
  return { policy, source: 'catalog', text, format };
}
