// Real-corpus test: every METADATA / PKG-INFO under this machine's Python site-packages and in
// the wheels under /opt/pypi/files parses without crashing. What is malformed is printed, not
// failed on; when Python's `packaging` is importable, the problems we report must name the
// same fields packaging reports for the same text (packaging 26.2 is the oracle).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import yauzl from 'yauzl';
import { InvalidMetadata, parseCoreMetadata } from '../../src/standards/metadata.js';
import { cleanPipEnv, LOCAL_PYPI, localPypiAvailable } from '../helpers/python.js';
import { NO_ORACLE, packagingOracleAvailable, runOracle } from './packaging-oracle.js';

interface Doc {
  source: string;
  text: string;
}

function sitePackages(): string[] {
  const r = spawnSync('python3', ['-c', 'import site, json; print(json.dumps(site.getsitepackages()))'], {
    encoding: 'utf8',
    env: cleanPipEnv(),
  });
  if (r.status !== 0) return [];
  return (JSON.parse(r.stdout) as string[]).filter((d) => existsSync(d));
}

function siteDocs(dirs: string[]): Doc[] {
  const docs: Doc[] = [];
  for (const dir of dirs) {
    for (const entry of readdirSync(dir).sort()) {
      const file = entry.endsWith('.dist-info')
        ? join(dir, entry, 'METADATA')
        : entry.endsWith('.egg-info')
          ? join(dir, entry, 'PKG-INFO')
          : undefined;
      if (file && existsSync(file)) docs.push({ source: file, text: readFileSync(file, 'utf8') });
    }
  }
  return docs;
}

/** The top-level *.dist-info/METADATA member of a wheel, or undefined when it has none. */
function wheelMetadata(path: string): Promise<{ member: string; bytes: Buffer } | undefined> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      let found = false;
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!/^[^/]+\.dist-info\/METADATA$/.test(entry.fileName)) return zip.readEntry();
        found = true;
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('error', reject);
          stream.on('end', () => {
            zip.close();
            resolve({ member: entry.fileName, bytes: Buffer.concat(chunks) });
          });
        });
      });
      zip.on('end', () => {
        if (!found) resolve(undefined);
      });
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

// packaging's view of each text: the fields it finds problems in (unparsed fields, then
// Metadata.from_raw validation errors), or null where packaging itself crashes.
const ORACLE = `
import json, sys
from packaging.metadata import parse_email, Metadata, _EMAIL_TO_RAW_MAPPING
out = []
for text in json.load(sys.stdin):
    try:
        raw, unparsed = parse_email(text)
        fields = list(unparsed)
        try:
            Metadata.from_raw(raw, validate=True)
        except ExceptionGroup as g:
            fields += [e.field for e in g.exceptions]
        out.append(sorted(set(fields)))
    except Exception:
        out.append(None)
json.dump(out, sys.stdout)
`;

function oracleFields(texts: string[]): (string[] | null)[] | undefined {
  return packagingOracleAvailable() ? runOracle(ORACLE, texts) : undefined;
}

function check(label: string, docs: Doc[]): void {
  let malformed = 0;
  const lines: string[] = [];
  const results = docs.map((d) => {
    try {
      return parseCoreMetadata(d.text);
    } catch (err) {
      // Only a typed InvalidMetadata is acceptable, and none of these real files should be one.
      assert.ok(err instanceof InvalidMetadata, `${d.source}: crashed with ${(err as Error).stack}`);
      throw new Error(`${d.source}: ${(err as Error).message}`);
    }
  });
  for (const [i, m] of results.entries()) {
    assert.ok(m.name, `${docs[i]!.source}: no Name`);
    if (m.problems.length > 0) {
      malformed++;
      lines.push(`#   ${docs[i]!.source}: ${m.problems.map((p) => p.message).join('; ')}`);
    }
  }
  process.stdout.write(`# ${label}: ${docs.length} parsed, ${malformed} with problems\n${lines.join('\n')}\n`);
  const oracle = oracleFields(docs.map((d) => d.text));
  if (oracle === undefined) {
    process.stdout.write(`# ${NO_ORACLE}\n`);
    return;
  }
  const crashed = oracle.filter((o) => o === null).length;
  if (crashed > 0) process.stdout.write(`# packaging itself crashed on ${crashed} of them (not compared)\n`);
  const disagreements = results.flatMap((m, i) => {
    const ours = [...new Set(m.problems.map((p) => p.field))].sort();
    const theirs = oracle[i];
    if (theirs === null) return [];
    return JSON.stringify(ours) === JSON.stringify(theirs) ? [] : [`${docs[i]!.source}: ours ${ours} packaging ${theirs}`];
  });
  assert.deepEqual(disagreements, [], 'problem fields differ from packaging');
}

describe('core metadata corpus', () => {
  it('every METADATA / PKG-INFO in site-packages parses', (t) => {
    const dirs = sitePackages();
    if (dirs.length === 0) return t.skip('no Python site-packages on this machine');
    const docs = siteDocs(dirs);
    assert.ok(docs.length > 0);
    check('site-packages', docs);
  });

  it('every wheel METADATA under /opt/pypi/files parses', async (t) => {
    if (!localPypiAvailable()) return t.skip(`${LOCAL_PYPI} is absent`);
    const dir = join(LOCAL_PYPI, 'files');
    const wheels = readdirSync(dir)
      .filter((f) => f.endsWith('.whl'))
      .sort();
    const docs: Doc[] = [];
    const undecodable: string[] = [];
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (const w of wheels) {
      const found = await wheelMetadata(join(dir, w));
      assert.ok(found, `${w} has no .dist-info/METADATA`);
      try {
        docs.push({ source: `${w}!${found.member}`, text: decoder.decode(found.bytes) });
      } catch {
        undecodable.push(w);
      }
    }
    if (undecodable.length > 0) process.stdout.write(`# not UTF-8: ${undecodable.join(', ')}\n`);
    check(`${wheels.length} wheels`, docs);
  });
});
