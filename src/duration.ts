// Durations as operators type them ('90m', '12h', '30d', '2w'), and the dates and times they
// give for an expiry.
import { PyvetError } from './errors.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Milliseconds of a duration, or undefined when `text` is not one. */
export function durationMs(text: string): number | undefined {
  const m = /^\s*(\d+)\s*([mhdw])\s*$/i.exec(text);
  return m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : undefined;
}

/** Like durationMs, but a clear DURATION_INVALID error for anything else ('0' means none). */
export function parseDuration(text: string, what: string): number {
  if (text.trim() === '0') return 0;
  const ms = durationMs(text);
  if (ms === undefined) throw new PyvetError('DURATION_INVALID', 'invalid', `${what} '${text}' is not a duration such as 90m, 12h, 30d or 2w`, { value: text });
  return ms;
}

// The dates and times accepted, nothing Date.parse would guess at ('1' read as the year 2001,
// '2030-02-31' rolled over into March, a time without a zone read in the local one).
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * Milliseconds since the epoch of an ISO 8601 date (2030-01-31, midnight UTC) or an RFC 3339
 * date-time (2030-01-31T12:00:00Z, or with an offset), every field checked; undefined otherwise.
 */
export function rfc3339Ms(text: string): number | undefined {
  const t = text.trim();
  const m = DATE.exec(t) ?? DATE_TIME.exec(t);
  if (!m) return undefined;
  const ms = Date.parse(t.replace(' ', 'T').toUpperCase());
  // Date.parse rolls 2030-02-31 over into March: the fields must come back as written.
  const valid =
    !Number.isNaN(ms) &&
    daysIn(Number(m[1]), Number(m[2])) >= Number(m[3]) &&
    Number(m[3]) >= 1 &&
    (m[4] === undefined || (Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60)) &&
    (m[9] === undefined || (Number(m[9]) < 24 && Number(m[10]) < 60));
  return valid ? ms : undefined;
}

function daysIn(year: number, month: number): number {
  return month >= 1 && month <= 12 ? new Date(Date.UTC(year, month, 0)).getUTCDate() : 0;
}
