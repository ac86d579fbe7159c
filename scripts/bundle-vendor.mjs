#!/usr/bin/env node
// Bundles, as the last step of `npm run build`:
// - Kysely into one file, dist/vendor/kysely.js. Kysely ships as about 280 ES modules: resolving
//   and linking them took 300-380 ms of every repository command, against about 30 ms for the
//   same code in one file. src/catalog/kysely.ts loads the bundle when it is there.
// - the archive inspection worker (dist/src/artifacts/inspect-worker.js and everything it
//   imports, yauzl and tar-stream included) into dist/vendor/inspect-worker.js. Each worker
//   thread loads its code anew; from one file it starts in about half the CPU time (no module
//   graph to resolve, and no CommonJS export scan, which V8 also optimised once per thread).
//   src/artifacts/pool.ts uses it when it is newer than the compiled worker.
// A build without this step (or without esbuild) is only slower to start.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'vendor', 'kysely.js');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch (err) {
  console.warn(`pyvet: Kysely not bundled (esbuild: ${err.message}); commands start about 0.3 s slower`);
  process.exit(0);
}
const require = createRequire(import.meta.url);
const pkg = require(join(root, 'node_modules', 'kysely', 'package.json'));
mkdirSync(dirname(outfile), { recursive: true });
await esbuild.build({
  // The package's own ESM entry, exactly as `import 'kysely'` resolves it.
  entryPoints: [join(root, 'node_modules', 'kysely', pkg.exports['.'].import)],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile,
  legalComments: 'inline',
  banner: { js: `// Kysely ${pkg.version} (${pkg.license}), bundled by scripts/bundle-vendor.mjs from node_modules/kysely.` },
  logLevel: 'warning',
});
await esbuild.build({
  entryPoints: [join(root, 'dist', 'src', 'artifacts', 'inspect-worker.js')],
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outfile: join(root, 'dist', 'vendor', 'inspect-worker.js'),
  legalComments: 'inline',
  // The CommonJS packages inside (yauzl, tar-stream) call require() for Node's own modules.
  banner: {
    js: "// pyvet's archive inspection worker, bundled by scripts/bundle-vendor.mjs from dist/src.\nimport { createRequire as __pyvetCreateRequire } from 'node:module';\nconst require = __pyvetCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
