// Output for people (tables, colour on a TTY) and for machines (--json), from the same objects.
import Table from 'cli-table3';
import pc from 'picocolors';

export const colour = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

// Terminal control characters (ESC, C1, and C0 but tab and newline): text from outside (an
// advisory's summary, a package's metadata) must not move the cursor or retitle the terminal.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Text from outside made safe to print: control characters shown as \u escapes. */
export function plain(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// A table cell longer than this is cut: cli-table3 lays out cells in time quadratic in their
// length (an advisory's 100 000-digit version took minutes); --json has the whole value.
const MAX_CELL = 300;

export function printTable(head: string[], rows: (string | number | null | undefined)[][]): void {
  if (rows.length === 0) {
    process.stdout.write(colour.dim('(none)\n'));
    return;
  }
  const table = new Table({
    head: head.map((h) => colour.bold(h)),
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) {
    table.push(r.map((c) => (c === null || c === undefined ? '' : String(c))).map((c) => (c.length > MAX_CELL ? `${c.slice(0, MAX_CELL)}…` : c)));
  }
  process.stdout.write(`${table.toString()}\n`);
}

export function info(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Progress and notes go to stderr so that stdout stays clean for --json and pipes. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** A warning for people, on stderr: the command succeeded, but something needs their attention. */
export function warn(line: string): void {
  note(`${colour.yellow('warning')} ${line}`);
}

/**
 * Exit code of a command that did part of its work and reports the rest (a batch with refused
 * files), as `mirror` and `outdated` do: 1, "the command ran and the answer is no" (errors.ts).
 */
export const EXIT_PARTIAL = 1;
