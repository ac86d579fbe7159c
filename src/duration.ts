// Durations as operators type them: '90m', '12h', '30d', '2w'.
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
