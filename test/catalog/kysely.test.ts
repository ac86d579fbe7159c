// The catalog loads Kysely from the one-file bundle the build makes (src/catalog/kysely.ts):
// the build must have made it, from the installed version, and it must be the copy in use.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Kysely, kyselyBundled } from '../../src/catalog/kysely.js';
import { ROOT } from '../helpers/paths.js';

test('the build bundled the installed Kysely, and the catalog uses the bundle', async () => {
  assert.ok(kyselyBundled, 'dist/vendor/kysely.js is missing: `npm run build` runs scripts/bundle-vendor.mjs');
  const bundle = new URL('../../vendor/kysely.js', import.meta.url);
  const installed = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'kysely', 'package.json'), 'utf8')) as { version: string };
  assert.match(readFileSync(fileURLToPath(bundle), 'utf8').split('\n')[0]!, new RegExp(`^// Kysely ${installed.version.replaceAll('.', '\\.')} `));
  // The class the catalog constructs is the bundle's, not the package's.
  const fromBundle = (await import(bundle.href)) as { Kysely: unknown };
  const fromPackage = await import('kysely');
  assert.equal(Kysely, fromBundle.Kysely);
  assert.notEqual(Kysely, fromPackage.Kysely);
});
