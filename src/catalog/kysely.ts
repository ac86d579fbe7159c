// Kysely's runtime values, from the one-file bundle the build makes (scripts/bundle-vendor.mjs:
// dist/vendor/kysely.js) when it is there, from the package otherwise. Kysely ships as about 280
// ES modules, and loading them took 300-380 ms of every repository command; the bundle loads in
// about 30 ms. Types still come from 'kysely' itself, which is the same version.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type * as KyselyModule from 'kysely';

// From dist/src/catalog/ to dist/vendor/; under tsx (src/catalog/) there is no bundle.
const bundle = new URL('../../vendor/kysely.js', import.meta.url);
/** Whether the bundle is in use (a test checks that the build made it). */
export const kyselyBundled = existsSync(fileURLToPath(bundle));
const kysely: typeof KyselyModule = kyselyBundled ? await import(bundle.href) : await import('kysely');

export const { Kysely, SqliteDialect, sql } = kysely;
