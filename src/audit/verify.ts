// Verifying and exporting the audit log. Verification recomputes every hash and link and names
// the first entry that was edited, removed or reordered; the chain head kept in settings catches
// removal of the newest entries, which a chain alone cannot see; rows outside the chain (a seq
// that is NULL, below 1 or not a whole number) are reported too, since no view shows them
// verified. A head the operator kept elsewhere (--head SEQ:HASH) catches a consistent rewrite.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { type StrayAuditRow, straysOf } from '../catalog/stores/audit.js';
import type { AuditEntry } from '../catalog/types.js';
import { PyvetError } from '../errors.js';
import type { Repository } from '../repository/types.js';
import { AUDIT_HEAD_KEY, canonicalJson, entryHash, GENESIS_HASH } from './chain.js';

export type AuditProblem =
  | 'edited'
  | 'removed'
  | 'reordered'
  | 'truncated'
  | 'rewritten'
  | 'outside-chain'
  | 'head-mismatch'
  | 'unreadable';

/** A chain head kept outside the repository: the chain must still hold entry `seq` with `hash`. */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** The last entry's seq and hash when the chain verifies (anchor it elsewhere to detect a full rewrite). */
  head: { seq: number; hash: string } | null;
  /** seq is null when the offending row has no usable seq (NULL, text). */
  firstBad?: { seq: number | null; problem: AuditProblem; detail: string };
}

/** Parses SEQ:HASH (as `pyvet audit head` prints it). */
export function parseAuditAnchor(text: string): AuditAnchor {
  const m = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(text.trim());
  if (!m || !Number.isSafeInteger(Number(m[1]))) {
    throw new PyvetError('AUDIT_HEAD_INVALID', 'invalid', `--head '${text}' is not SEQ:HASH (a seq from 1 and a 64-digit hex sha256)`, {
      head: text,
    });
  }
  return { seq: Number(m[1]), hash: m[2]! };
}

export interface VerifyOptions {
  anchor?: AuditAnchor | undefined;
}

const PAGE = 5000;

/** Reads the whole log in pages and checks it. Never throws for a bad chain: it reports it. */
export async function verifyAudit(repo: Repository, opts: VerifyOptions = {}): Promise<AuditVerification> {
  const entries: AuditEntry[] = [];
  let headText: string | undefined;
  let strays: StrayAuditRow[];
  const readStrays = straysOf(repo.catalog.audit);
  try {
    strays = await readStrays();
    for (let from = 1; ; ) {
      const page = await repo.catalog.audit.list(from, PAGE);
      entries.push(...page);
      if (page.length < PAGE) break;
      from = page[page.length - 1]!.seq + 1;
    }
    headText = await repo.catalog.settings.get(AUDIT_HEAD_KEY);
  } catch (err) {
    // A damaged database file (SQLite: "database disk image is malformed") is a finding too.
    const seq = (entries.at(-1)?.seq ?? 0) + 1;
    return {
      ok: false,
      entries: entries.length,
      head: null,
      firstBad: { seq, problem: 'unreadable', detail: `the log cannot be read from entry ${seq}: ${(err as Error).message}` },
    };
  }
  return checkChain(entries, headText, { ...opts, strays });
}

/** A row named by what it says, for rows whose seq cannot name them. */
function describeRow(r: { seq: unknown; action: string; subject: string; actor: string; at: string }): string {
  const seq =
    r.seq === null || r.seq === undefined
      ? 'no seq (NULL)'
      : typeof r.seq === 'number' || typeof r.seq === 'bigint'
        ? `seq ${r.seq}`
        : typeof r.seq === 'string'
          ? `seq '${r.seq}' (text)`
          : 'a seq that is not a number';
  return `the row with ${seq} (${r.action} of '${r.subject}' by ${r.actor} at ${r.at})`;
}

/** How far a renumbered entry may have moved and still be recognised. */
const RENUMBER_WINDOW = 256;

/** The seq an entry was hashed with, when its content is intact but its seq was changed. */
function originalSeq(e: AuditEntry): number | undefined {
  for (let d = 1; d <= RENUMBER_WINDOW; d++) {
    for (const seq of [e.seq + d, e.seq - d]) {
      if (seq > 0 && entryHash(e.prevHash, { ...e, seq }) === e.hash) return seq;
    }
  }
  return undefined;
}

/** Pure check of entries (ordered by seq) against the recorded head. */
export function checkChain(
  entries: AuditEntry[],
  headText: string | undefined,
  opts: VerifyOptions & { strays?: StrayAuditRow[] } = {},
): AuditVerification {
  const bad = (seq: number | null, problem: AuditProblem, detail: string): AuditVerification => ({
    ok: false,
    entries: entries.length,
    head: null,
    firstBad: { seq, problem, detail },
  });
  const hashes = new Map(entries.map((e) => [e.hash, e.seq]));
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  const stray = opts.strays?.[0] ?? entries.find((e) => !Number.isSafeInteger(e.seq) || e.seq < 1);
  if (stray) {
    const seq = typeof stray.seq === 'number' && Number.isFinite(stray.seq) ? stray.seq : null;
    return bad(seq, 'outside-chain', `${describeRow(stray)} is outside the chain, whose entries are numbered 1, 2, 3, …: it was inserted or altered`);
  }
  for (const e of entries) {
    if (e.seq > expectedSeq) {
      return bad(expectedSeq, 'removed', `entries ${expectedSeq}..${e.seq - 1} are missing before entry ${e.seq}`);
    }
    if (e.prevHash !== prevHash) {
      const linked = hashes.get(e.prevHash);
      if (linked !== undefined && linked !== e.seq - 1) {
        return bad(e.seq, 'reordered', `entry ${e.seq} follows entry ${linked} in the chain, not entry ${e.seq - 1}`);
      }
    }
    if ('__unparsable' in e.details || entryHash(e.prevHash, e) !== e.hash) {
      const was = '__unparsable' in e.details ? undefined : originalSeq(e);
      if (was !== undefined && was > e.seq) {
        return bad(e.seq, 'removed', `entry ${e.seq} was entry ${was}: entries before it were removed and the rest renumbered`);
      }
      if (was !== undefined) return bad(e.seq, 'reordered', `entry ${e.seq} was entry ${was}: entries were renumbered`);
      return bad(e.seq, 'edited', `entry ${e.seq} does not hash to its recorded hash: its content was changed`);
    }
    if (e.prevHash !== prevHash) {
      // This entry is intact but its predecessor is not the one it was chained to.
      return bad(e.seq - 1, 'edited', `entry ${e.seq - 1} is not the entry that entry ${e.seq} was chained to`);
    }
    prevHash = e.hash;
    expectedSeq = e.seq + 1;
  }
  const first = entries[0];
  if (first && first.action !== 'repository.init') {
    return bad(1, 'rewritten', `entry 1 is ${first.action}, not repository.init: the log was rewritten from its start`);
  }
  const last = entries[entries.length - 1];
  if (headText !== undefined) {
    let head: { seq: number; hash: string };
    try {
      head = JSON.parse(headText) as { seq: number; hash: string };
    } catch {
      return bad(last?.seq ?? 0, 'head-mismatch', 'the recorded chain head is unreadable');
    }
    if (!last || last.seq < head.seq) {
      const from = (last?.seq ?? 0) + 1;
      return bad(from, 'truncated', `entries ${from}..${head.seq} were removed from the end of the log`);
    }
    if (last.seq !== head.seq || last.hash !== head.hash) {
      return bad(last.seq, 'head-mismatch', `the last entry (${last.seq}) is not the recorded chain head (${head.seq})`);
    }
  } else if (last) {
    return bad(last.seq, 'head-mismatch', 'the log has entries but no recorded chain head');
  }
  if (!last) {
    return bad(1, 'truncated', 'the log is empty, but every repository\'s log starts with its repository.init entry 1: it was wiped');
  }
  const anchor = opts.anchor;
  if (anchor) {
    const kept = `${anchor.seq}:${anchor.hash}`;
    if (last.seq < anchor.seq) {
      return bad(last.seq + 1, 'truncated', `the log ends at entry ${last.seq}, before the kept head ${kept}: it was truncated or rewritten before it`);
    }
    const at = entries[anchor.seq - 1]!; // the loop proved entries are numbered 1..last.seq
    if (at.hash !== anchor.hash) {
      return bad(anchor.seq, 'rewritten', `entry ${anchor.seq} is not the kept head ${kept} (its hash is ${at.hash}): the log was rewritten before it`);
    }
  }
  return { ok: true, entries: entries.length, head: last ? { seq: last.seq, hash: last.hash } : null };
}

/** Writes the log as JSON lines (one canonical entry per line) to `out`; returns the count. */
export async function exportAudit(repo: Repository, out: string | NodeJS.WritableStream): Promise<number> {
  const stream = typeof out === 'string' ? createWriteStream(out, { flags: 'wx' }) : out;
  if (typeof out === 'string') {
    try {
      await once(stream, 'open'); // rejects with the stream's error (EEXIST, EACCES, …)
    } catch (err) {
      throw new PyvetError('AUDIT_EXPORT_FAILED', 'unavailable', `cannot write ${out}: ${(err as Error).message}`, {
        path: out,
      });
    }
  }
  let count = 0;
  for (let from = 1; ; ) {
    const page = await repo.catalog.audit.list(from, PAGE);
    for (const e of page) {
      if (!stream.write(`${canonicalJson(e)}\n`)) await once(stream, 'drain');
      count++;
    }
    if (page.length < PAGE) break;
    from = page[page.length - 1]!.seq + 1;
  }
  if (typeof out === 'string') {
    stream.end();
    await once(stream, 'finish');
  }
  return count;
}
