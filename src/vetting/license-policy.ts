// Licence gate: a file's SPDX expression against the policy's allow and deny lists. OR means
// the user may choose, so it passes when any branch passes; AND needs every part; "X WITH Y"
// is judged as X unless the lists name the whole "X WITH Y". A licence pyvet cannot read as
// SPDX is held whenever a list is in force: free text may well be what the deny list names.
import { normalizeSpdx, parseLicenseConflict, recognizeLicense } from '../artifacts/license.js';

type Expr = { op: 'or' | 'and'; left: Expr; right: Expr } | { op: 'id'; id: string; full: string };

/** Parses an SPDX expression (already canonical from ingest); null when it is free text. */
export function parseSpdx(text: string): Expr | null {
  const tokens = text.match(/\(|\)|[^\s()]+/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const primary = (): Expr | null => {
    const t = tokens[i++];
    if (t === undefined) return null;
    if (t === '(') {
      const e = or();
      if (e === null || tokens[i++] !== ')') return null;
      return e;
    }
    if (/^(AND|OR|WITH)$/i.test(t) || t === ')' || !/^[A-Za-z0-9.+:-]+$/.test(t)) return null;
    if (peek()?.toUpperCase() === 'WITH') {
      i++;
      const exc = tokens[i++];
      if (exc === undefined || !/^[A-Za-z0-9.+:-]+$/.test(exc)) return null;
      return { op: 'id', id: t, full: `${t} WITH ${exc}` };
    }
    return { op: 'id', id: t, full: t };
  };
  const and = (): Expr | null => {
    let left = primary();
    while (left && peek()?.toUpperCase() === 'AND') {
      i++;
      const right = primary();
      if (!right) return null;
      left = { op: 'and', left, right };
    }
    return left;
  };
  const or = (): Expr | null => {
    let left = and();
    while (left && peek()?.toUpperCase() === 'OR') {
      i++;
      const right = and();
      if (!right) return null;
      left = { op: 'or', left, right };
    }
    return left;
  };
  const e = or();
  return e !== null && i === tokens.length ? e : null;
}

export interface LicenseVerdict {
  ok: boolean;
  /** Why not, for the gate's reason. */
  reason?: string;
}

/** Checks `license` (SPDX or free text, or null) against allow/deny lists (SPDX ids, any case). */
export function checkLicense(license: string | null, allow: string[], deny: string[]): LicenseVerdict {
  if (allow.length === 0 && deny.length === 0) return { ok: true };
  // Deprecated ids on either side (GPL-3.0 in the file or the list) compare as their replacement.
  const norm = (s: string) => (normalizeSpdx(s) ?? s).toLowerCase();
  const allowSet = new Set(allow.map(norm));
  const denySet = new Set(deny.map(norm));
  if (license === null) {
    return allow.length > 0 ? { ok: false, reason: 'no licence declared' } : { ok: true };
  }
  const conflict = parseLicenseConflict(license);
  if (conflict !== null) {
    // Whichever of the two binds, the file passes only if both would.
    const field = checkLicense(conflict.field, allow, deny);
    const classified = checkLicense(conflict.classifiers, allow, deny);
    if (field.ok && classified.ok) return { ok: true };
    return {
      ok: false,
      reason: `the License field says ${conflict.field} but the licence classifiers say ${conflict.classifiers} (${(field.ok ? classified : field).reason})`,
    };
  }
  /** Why an id fails the lists, or null when it passes. "X+" (X or later) is judged as X. */
  const leafFails = (id: string, full: string): string | null => {
    const ids = [id, full, id.replace(/\+$/, '')].map((s) => s.toLowerCase());
    if (ids.some((s) => denySet.has(s))) return 'in the deny list';
    return allowSet.size === 0 || ids.some((s) => allowSet.has(s)) ? null : 'not in the allow list';
  };
  const recognized = recognizeLicense(license);
  const expr = recognized !== null && 'expression' in recognized ? parseSpdx(recognized.expression) : null;
  if (recognized !== null && 'oneOf' in recognized) {
    // A family name without a version may be any of its ids: it passes only if every one would.
    const failing = recognized.oneOf.flatMap((id) => {
      const why = leafFails(id, id);
      return why === null ? [] : [`${id} is ${why}`];
    });
    if (failing.length === 0) return { ok: true };
    return {
      ok: false,
      reason: `licence '${license}' does not say which of ${recognized.oneOf.join(', ')} it is, and ${failing.join(', ')}`,
    };
  }
  if (expr === null) {
    // Free text can be anything, including what the deny list names: a person must look.
    return {
      ok: false,
      reason:
        allow.length > 0
          ? `licence '${license}' is not an SPDX expression`
          : `licence '${license}' is not an SPDX expression pyvet can check against the deny list`,
    };
  }
  const ok = (e: Expr): boolean =>
    e.op === 'id' ? leafFails(e.id, e.full) === null : e.op === 'or' ? ok(e.left) || ok(e.right) : ok(e.left) && ok(e.right);
  if (ok(expr)) return { ok: true };
  const shown = recognized !== null && 'expression' in recognized && recognized.expression !== license ? `${license} (${recognized.expression})` : license;
  return {
    ok: false,
    reason: `licence ${shown} is ${allow.length > 0 ? 'not in the allow list' : 'in the deny list'}${
      deny.length > 0 && allow.length > 0 ? ' or denied' : ''
    }`,
  };
}
