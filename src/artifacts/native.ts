// The optional native accelerator (native/pyvet_native.c, libdeflate): inflating a zip member
// into a buffer we reuse, and CRC-32. It is built by `npm ci` when a C compiler and Node's
// headers are at hand; without it, node:zlib does the same work at about half the speed, with a
// new buffer per member. The two give the same answers (tests run the hostile suite with both).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface NativeInflater {
  /** Bytes written into `dst`, or INFLATE_BAD_DATA / INFLATE_TOO_LONG. */
  inflateRawInto(src: Uint8Array, dst: Uint8Array): number;
  crc32(bytes: Uint8Array, crc: number): number;
}

export const INFLATE_BAD_DATA = -1;
/** The stream inflates to more bytes than `dst` holds. */
export const INFLATE_TOO_LONG = -2;

const ADDON = join('native', 'build', 'Release', 'pyvet_native.node');

/** Why the addon is not in use, for `pyvet` to say once; undefined when it is. */
export let nativeUnavailable: string | undefined;

function load(): NativeInflater | undefined {
  if (process.env.PYVET_NATIVE === '0') {
    nativeUnavailable = 'disabled by PYVET_NATIVE=0';
    return undefined;
  }
  // This module runs from src/artifacts (tsx) or dist/src/artifacts: the package root is above.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    const path = join(dir, ADDON);
    if (!existsSync(path)) continue;
    try {
      return createRequire(import.meta.url)(path) as NativeInflater;
    } catch (err) {
      nativeUnavailable = `${path} does not load: ${(err as Error).message}`;
      return undefined;
    }
  }
  nativeUnavailable = `${ADDON} is not built (npm run build:native needs a C compiler and Node's headers)`;
  return undefined;
}

export const native: NativeInflater | undefined = load();
