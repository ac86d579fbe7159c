#!/usr/bin/env node
// Builds the optional native inflater (native/, with third_party/libdeflate) through node-gyp.
// Runs as the package's install script, so `npm ci` builds it when a C compiler and Node's
// headers are at hand. It never fails the install: without the addon pyvet uses node:zlib,
// which checks archives at about half the speed, and says so here once.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = resolve(dirname(process.execPath), '..');
// npm sets npm_config_node_gyp for its scripts; otherwise use the copy npm ships with.
const gyp = [process.env.npm_config_node_gyp, join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')].find(
  (p) => p && existsSync(p),
);
const args = ['rebuild', '--directory', join(root, 'native')];
// Headers installed beside this node (distribution packages, official tarballs) spare a download.
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

function warn(why) {
  console.warn(`\npyvet: the native inflater was not built (${why}).`);
  console.warn('pyvet works without it, using node:zlib: archive checks run at about half the speed.');
  console.warn('To build it: a C compiler, make, python3 and Node headers, then `npm run build:native`.\n');
}

if (process.env.PYVET_NATIVE === '0') {
  console.log('pyvet: PYVET_NATIVE=0, the native inflater is not built');
} else if (!gyp) {
  warn('node-gyp not found');
} else {
  const r = spawnSync(process.execPath, [gyp, ...args], { cwd: root, encoding: 'utf8' });
  if (r.status === 0) console.log('pyvet: native inflater built (native/build/Release/pyvet_native.node)');
  else {
    // node-gyp ends with lines that say nothing ("gyp ERR! not ok"): show the first that does.
    const lines = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.split('\n').map((l) => l.trim());
    const cause = lines.find((l) => /error|not found|No such file|EACCES/i.test(l) && !/^gyp ERR! (not ok|cwd|node|command|System)/.test(l));
    warn(`node-gyp exited ${r.status}${cause ? `: ${cause}` : ''}`);
  }
}
