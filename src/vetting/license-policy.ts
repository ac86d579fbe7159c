// Licence gate: a file's SPDX expression against the policy's allow and deny lists. OR means
// the user may choose, so it passes when any branch passes; AND needs every part; "X WITH Y"
// is judged as X unless the lists name the whole "X WITH Y".

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
  const allowSet = new Set(allow.map((s) => s.toLowerCase()));
  const denySet = new Set(deny.map((s) => s.toLowerCase()));
  if (license === null) {
    return allow.length > 0 ? { ok: false, reason: 'no licence declared' } : { ok: true };
  }
  const expr = parseSpdx(license);
  if (expr === null) {
    return allow.length > 0 ? { ok: false, reason: `licence '${license}' is not an SPDX expression` } : { ok: true };
  }
  const leafOk = (e: { id: string; full: string }) => {
    const id = e.id.toLowerCase();
    const full = e.full.toLowerCase();
    if (denySet.has(id) || denySet.has(full)) return false;
    return allowSet.size === 0 || allowSet.has(id) || allowSet.has(full);
  };
  const ok = (e: Expr): boolean =>
    e.op === 'id' ? leafOk(e) : e.op === 'or' ? ok(e.left) || ok(e.right) : ok(e.left) && ok(e.right);
  if (ok(expr)) return { ok: true };
  return {
    ok: false,
    reason: `licence ${license} is ${allow.length > 0 ? 'not in the allow list' : 'in the deny list'}${
      deny.length > 0 && allow.length > 0 ? ' or denied' : ''
    }`,
  };
}
