// PEP 503 / core-metadata project names, behaving exactly like pypa/packaging 26.x utils.
import { PyvetError } from '../errors.js';

export class InvalidName extends PyvetError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_NAME', 'invalid', message, details);
    this.name = 'InvalidName';
  }
}

// Core metadata `Name`: ASCII letters and digits, with . _ - inside.
const VALID = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$/;
// packaging's is_normalized_name pattern, lookahead included (it accepts "a--b", as packaging does).
const NORMALIZED = /^(?:[a-z0-9]|[a-z0-9](?:[a-z0-9-](?!--))*[a-z0-9])$/;

export function isValidName(name: string): boolean {
  return VALID.test(name);
}

/** PEP 503 normalization: lowercase, every run of `-`, `_`, `.` becomes one `-`. */
export function canonicalizeName(name: string, opts: { validate?: boolean } = {}): string {
  if (opts.validate && !VALID.test(name)) {
    throw new InvalidName(
      `Invalid project name ${JSON.stringify(name)}: use ASCII letters, digits, '.', '_' and '-', starting and ending with a letter or digit`,
      { input: name },
    );
  }
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Would canonicalizeName return the name unchanged? */
export function isNormalizedName(name: string): boolean {
  return NORMALIZED.test(name);
}
