// One error family for the whole project. Every error that reaches a user carries a stable
// `code` (SCREAMING_SNAKE, never renamed once shipped) and a `kind`; the CLI and the HTTP server
// map the kind to an exit code and a status in exactly one place each (below), so the two
// shells always agree. Pure modules (src/standards) throw these too: this file has no I/O.

export type ErrorKind =
  | 'invalid' // bad input from the caller: a name, a version, a file, a request body
  | 'unauthorized' // no or unknown credentials
  | 'forbidden' // known credentials without the role for this action
  | 'not_found'
  | 'conflict' // the request contradicts what is stored (duplicate file with other bytes, …)
  | 'integrity' // bytes do not match a promised digest, an archive lies about itself
  | 'policy' // a vetting gate or release rule refuses
  | 'upstream' // an upstream index failed or misbehaved
  | 'unavailable' // a dependency of ours is missing (a tool, a disk)
  | 'internal';

export interface ErrorDetails {
  [key: string]: unknown;
}

export class PyvetError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: ErrorDetails | undefined;

  constructor(code: string, kind: ErrorKind, message: string, details?: ErrorDetails, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PyvetError';
    this.code = code;
    this.kind = kind;
    this.details = details;
  }

  toJSON(): { code: string; kind: ErrorKind; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, kind: this.kind, message: this.message }
      : { code: this.code, kind: this.kind, message: this.message, details: this.details };
  }
}

const HTTP_STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  integrity: 422,
  policy: 422,
  upstream: 502,
  unavailable: 503,
  internal: 500,
};

// Exit codes: 1 is reserved for "the command ran and the answer is no" (closure not closed,
// findings present); errors start at 2 so scripts can tell the two apart.
const EXIT_CODE: Record<ErrorKind, number> = {
  invalid: 2,
  unauthorized: 3,
  forbidden: 3,
  not_found: 4,
  conflict: 5,
  integrity: 6,
  policy: 7,
  upstream: 8,
  unavailable: 9,
  internal: 10,
};

export function httpStatusOf(err: unknown): number {
  return HTTP_STATUS[asPyvetError(err).kind];
}

export function exitCodeOf(err: unknown): number {
  return EXIT_CODE[asPyvetError(err).kind];
}

/** Wraps anything thrown into a PyvetError so shells can report it uniformly. */
export function asPyvetError(err: unknown): PyvetError {
  if (err instanceof PyvetError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // Another process held the catalog's write lock past its busy timeout (a long advisory import,
  // say): nothing of this command was written, and the answer is to try again, not a bug report.
  if ((err as { code?: unknown } | null)?.code === 'SQLITE_BUSY') {
    return new PyvetError(
      'CATALOG_BUSY',
      'unavailable',
      'the catalog is busy: another pyvet process held its write lock for longer than this one waits (10 s), for a large advisory import perhaps; nothing was written, try again',
      undefined,
      { cause: err },
    );
  }
  return new PyvetError('INTERNAL', 'internal', message, undefined, { cause: err });
}
