// Output for people (tables, colour on a TTY) and for machines (--json), from the same objects.
import Table from 'cli-table3';
import pc from 'picocolors';

export const colour = pc.createColors(Boolean(process.stdout.isTTY) && !process.env.NO_COLOR);

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
}

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
  for (const r of rows) table.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
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
