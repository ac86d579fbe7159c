// Verifying a release: the manifest's Ed25519 signature against the public key, its name against
// where it was found, each document against the digest the manifest signs, each requirements
// file's pins against the manifest's file list, and, when the files are at hand (a local
// directory, or fetched on request), every pinned file's sha256.
//
// Who published it is only proven by a key the verifier pins (--key FILE, or --fingerprint of
// the publisher's key). By default the key is the one beside the release (the same server's
// /releases/signing-key.pub, or signing-key.pub next to a local manifest): whoever can change
// the release can change that key too, so such a result proves integrity only, and says so
// (`keyTrusted: false`); `requireKey` makes it a failure.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { PyvetError } from '../errors.js';
import { redactTypedUrl, sameOrigin } from '../upstream/upstreams.js';
import { MANIFEST_PATH, type Manifest, SIGNATURE_PATH, sha256Hex } from './documents.js';
import { pinSetFromRequirements } from './diff.js';
import { keyFingerprint, verifyManifest } from './signing.js';

/** The path segment that is an alias of the newest release, not a release's own name (no release may be named so). */
export const LATEST_ALIAS = 'latest';

export interface VerifyOptions {
  /** The public key (PEM text), pinned by the verifier. Default: fetched from the same server, or signing-key.pub beside a local manifest (not pinned). */
  publicKey?: string;
  /** The publisher's key fingerprint ('sha256:HEX' or HEX, see keyFingerprint): the key used, given or found, must have it. */
  fingerprint?: string;
  /** A key the verifier did not pin (neither publicKey nor fingerprint) is a failure. */
  requireKey?: boolean;
  /** The release name expected. Default: the last segment of the location's path (its directory for a manifest). */
  name?: string;
  /** A directory holding the release's files (by filename): each found one is hashed. */
  filesDir?: string;
  /** Download every pinned file from the index and hash it (URL releases). */
  fetchFiles?: boolean;
  /** A reader token, for a server without anonymous reading (sent as pip sends it). */
  token?: string;
}

export interface DocumentCheck {
  path: string;
  expected: string;
  actual: string | null;
  ok: boolean;
}

export interface VerifyReport {
  ok: boolean;
  release: string;
  created: string;
  signature: 'valid' | 'invalid';
  /** 'given', or where the key was found (a URL or a path). */
  keySource: string;
  /** sha256 of the key's DER SubjectPublicKeyInfo ('sha256:HEX'): compare it with the publisher's. */
  keyFingerprint: string;
  /**
   * Whether the verifier pinned the key (given, or matching a given fingerprint). false: the key
   * came from beside the release, so the result proves integrity, not who published it.
   */
  keyTrusted: boolean;
  /** The name the location implies ('latest' alias and --name aside), and whether the manifest has it. */
  location: { name: string | null; ok: boolean };
  /** Failures beside documents, pins and files (a name that is not the location's, a key not the pinned one). */
  problems: string[];
  documents: DocumentCheck[];
  /** Per target: differences between the requirements file's pins and the signed file list. */
  pins: { target: string; ok: boolean; problems: string[] }[];
  files: {
    checked: number;
    ok: number;
    mismatched: { filename: string; expected: string; actual: string }[];
    /** Not found locally, or not fetched. */
    unavailable: number;
    /** Fetched (fetchFiles) and not served by the index: `pip install -r` of the release fails. */
    notServed: string[];
  };
}

interface Source {
  read(path: string): Promise<Buffer | null>;
  describe(path: string): string;
  keyLocations(): string[];
  /** The release name the location implies: the directory holding the manifest. */
  releaseSegment(): string | null;
}

/** 'sha256:hex' (lower case) from what a person typed: 'sha256:HEX', 'SHA256:HEX' or HEX. */
function normalizeFingerprint(text: string): string {
  const m = /^(?:sha256:)?([0-9a-f]{64})$/i.exec(text.trim());
  if (!m) {
    throw new PyvetError(
      'VERIFY_FINGERPRINT_INVALID',
      'invalid',
      `fingerprint '${text}' is not sha256:<64 hex digits> (as \`pyvet release show\` prints it)`,
      { fingerprint: text },
    );
  }
  return `sha256:${m[1]!.toLowerCase()}`;
}

/**
 * The reader token goes only to the origin (scheme, host, port) of the location the user gave, as
 * upstream credentials do (upstreamCredentialsFor): a manifest's index_url or document path may
 * name any host. fetch itself drops the header on a redirect to another origin.
 */
interface Credential {
  origin: string;
  token: string;
}

async function fetchBytes(url: string, cred?: Credential): Promise<Buffer | null> {
  const send = cred !== undefined && sameOrigin(cred.origin, url);
  // Why a failure on another origin may be for want of the token, which was not sent there.
  const unsent =
    cred !== undefined && !send
      ? ` (the token was not sent: ${redactTypedUrl(url)} is not on ${new URL(cred.origin).origin}, the origin of the location given, and credentials go to that origin only)`
      : '';
  let res: Response;
  const headers: Record<string, string> = send ? { authorization: `Basic ${Buffer.from(`__token__:${cred.token}`).toString('base64')}` } : {};
  try {
    res = await fetch(url, { headers });
  } catch (err) {
    const shown = redactTypedUrl(url);
    throw new PyvetError('VERIFY_FETCH_FAILED', 'unavailable', `cannot fetch ${shown}: ${(err as Error).message}${unsent}`, { url: shown });
  }
  if (res.status === 404) return null;
  if (!res.ok) {
    const shown = redactTypedUrl(url);
    throw new PyvetError('VERIFY_FETCH_FAILED', 'unavailable', `GET ${shown} answered ${res.status}${unsent}`, { url: shown });
  }
  return Buffer.from(await res.arrayBuffer());
}

/** A release URL as given, refused when it carries userinfo (never echoed: it may be the token). */
function checkLocationUrl(location: string): URL {
  let u: URL;
  try {
    u = new URL(location);
  } catch {
    throw new PyvetError('VERIFY_LOCATION_INVALID', 'invalid', `'${redactTypedUrl(location)}' is not a URL`, {
      location: redactTypedUrl(location),
    });
  }
  if (u.username || u.password) {
    throw new PyvetError(
      'VERIFY_LOCATION_INVALID',
      'invalid',
      `${redactTypedUrl(location)}: put the token in --token (or PYVET_TOKEN), never in the URL (it would be printed and kept in shell history)`,
      { location: redactTypedUrl(location) },
    );
  }
  return u;
}

function urlSource(location: string, cred?: Credential): Source {
  const manifestUrl = location.endsWith(MANIFEST_PATH) ? location : `${location.replace(/\/*$/, '/')}${MANIFEST_PATH}`;
  return {
    read: (path) => fetchBytes(new URL(path, manifestUrl).href, cred),
    describe: (path) => redactTypedUrl(new URL(path, manifestUrl).href),
    keyLocations: () => [new URL('../signing-key.pub', manifestUrl).href],
    releaseSegment: () => {
      const segments = new URL(manifestUrl).pathname.split('/');
      const dir = segments[segments.length - 2];
      if (!dir) return null;
      try {
        return decodeURIComponent(dir);
      } catch {
        return dir;
      }
    },
  };
}

function fileSource(location: string): Source {
  const dir = statSync(location).isDirectory() ? location : dirname(location);
  const manifestFile = statSync(location).isDirectory() ? join(location, MANIFEST_PATH) : location;
  return {
    read: async (path) => {
      const p = path === MANIFEST_PATH ? manifestFile : path === SIGNATURE_PATH ? `${manifestFile}.sig` : join(dir, path);
      return existsSync(p) ? readFileSync(p) : null;
    },
    describe: (path) => join(dir, path),
    keyLocations: () => [join(dir, 'signing-key.pub'), join(dirname(dir), 'signing-key.pub')],
    releaseSegment: () => basename(resolve(dir)) || null,
  };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Verifies a release given by URL (release or manifest) or local path (manifest file or its directory). */
export async function verifyRelease(location: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const remote = /^https?:\/\//.test(location);
  if (!remote && !existsSync(location)) {
    throw new PyvetError('VERIFY_NOT_FOUND', 'not_found', `no manifest at ${location}`, { location });
  }
  const origin = remote ? checkLocationUrl(location).href : undefined;
  const cred = origin !== undefined && opts.token ? { origin, token: opts.token } : undefined;
  const source = remote ? urlSource(location, cred) : fileSource(location);
  const manifestBytes = await source.read(MANIFEST_PATH);
  if (!manifestBytes) throw new PyvetError('VERIFY_NOT_FOUND', 'not_found', `no manifest at ${source.describe(MANIFEST_PATH)}`);
  const signature = await source.read(SIGNATURE_PATH);
  if (!signature) {
    throw new PyvetError('VERIFY_NO_SIGNATURE', 'integrity', `no signature at ${source.describe(SIGNATURE_PATH)}`);
  }
  const pinned = opts.fingerprint === undefined ? undefined : normalizeFingerprint(opts.fingerprint);
  let key = opts.publicKey;
  let keySource = 'given';
  if (key === undefined) {
    for (const k of source.keyLocations()) {
      const bytes = /^https?:\/\//.test(k) ? await fetchBytes(k, cred) : existsSync(k) ? readFileSync(k) : null;
      if (bytes) {
        key = bytes.toString('utf8');
        keySource = k;
        break;
      }
    }
  }
  if (key === undefined) {
    throw new PyvetError('VERIFY_KEY_REQUIRED', 'invalid', `no public key found at ${source.keyLocations().join(' or ')}: pass --key FILE`);
  }
  const signatureOk = verifyManifest(key, manifestBytes, signature.toString('utf8'));
  const fingerprint = keyFingerprint(key);
  const problems: string[] = [];
  if (pinned !== undefined && pinned !== fingerprint) {
    problems.push(
      `the key (${keySource}) has fingerprint ${fingerprint}, not the pinned ${pinned}: this release was not signed by the publisher you pinned`,
    );
  }
  const keyTrusted = (opts.publicKey !== undefined || pinned !== undefined) && problems.length === 0;
  if (opts.requireKey && opts.publicKey === undefined && pinned === undefined) {
    problems.push(`the key was not pinned (it came from beside the release, ${keySource}): pass --key FILE or --fingerprint sha256:…`);
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as Manifest;
  } catch {
    throw new PyvetError('VERIFY_MANIFEST_INVALID', 'integrity', `${source.describe(MANIFEST_PATH)} is not JSON`);
  }
  if (manifest.schema !== 'pyvet.release/1' || typeof manifest.targets !== 'object' || manifest.targets === null) {
    throw new PyvetError('VERIFY_MANIFEST_INVALID', 'integrity', `${source.describe(MANIFEST_PATH)} is not a pyvet release manifest`);
  }
  // A release's documents copied under another release's name (say, an old one as the newest)
  // still verify by signature: the signed name must be the one they were found under.
  const segment = opts.name ?? source.releaseSegment();
  const expectedName = opts.name === undefined && segment?.toLowerCase() === LATEST_ALIAS ? null : segment;
  const nameOk = expectedName === null || manifest.name === expectedName;
  if (!nameOk) {
    problems.push(
      `the manifest is release ${JSON.stringify(manifest.name)}, found as ${JSON.stringify(expectedName)}${opts.name === undefined ? ` (${source.describe('')})` : ' (--name)'}: a release's documents published under another release's name`,
    );
  }
  const documents: DocumentCheck[] = [];
  const pins: VerifyReport['pins'] = [];
  const files: VerifyReport['files'] = { checked: 0, ok: 0, mismatched: [], unavailable: 0, notServed: [] };
  const seenFiles = new Set<string>();
  for (const [target, t] of Object.entries(manifest.targets).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const texts = new Map<string, string>();
    for (const doc of [t.requirements, t.sbom]) {
      const bytes = await source.read(doc.path);
      const actual = bytes ? sha256Hex(bytes) : null;
      documents.push({ path: doc.path, expected: doc.sha256, actual, ok: actual === doc.sha256 });
      if (bytes) texts.set(doc.path, bytes.toString('utf8'));
    }
    const pinProblems: string[] = [];
    const reqText = texts.get(t.requirements.path);
    if (reqText !== undefined) {
      const set = pinSetFromRequirements(reqText, t.requirements.path);
      for (const f of t.files) {
        const p = set.pins.get(f.project);
        if (!p) pinProblems.push(`${f.project} is signed but not in ${t.requirements.path}`);
        else if (p.version !== f.version || !p.hashes.includes(`sha256:${f.sha256}`)) {
          pinProblems.push(`${f.project}: requirements file pins ${p.version} ${p.hashes.join(' ')}, manifest signs ${f.version} sha256:${f.sha256}`);
        }
      }
      const signed = new Set(t.files.map((f) => f.project));
      for (const name of set.pins.keys()) if (!signed.has(name)) pinProblems.push(`${name} is in ${t.requirements.path} but not signed`);
    } else pinProblems.push(`${t.requirements.path} is missing`);
    pins.push({ target, ok: pinProblems.length === 0, problems: pinProblems });
    for (const f of t.files) await checkFile(f, manifest.index_url, opts, cred, files, seenFiles);
  }
  const ok =
    signatureOk &&
    documents.every((d) => d.ok) &&
    pins.every((p) => p.ok) &&
    files.mismatched.length === 0 &&
    files.notServed.length === 0 &&
    problems.length === 0;
  return {
    ok,
    release: manifest.name,
    created: manifest.created,
    signature: signatureOk ? 'valid' : 'invalid',
    keySource,
    keyFingerprint: fingerprint,
    keyTrusted,
    location: { name: expectedName, ok: nameOk },
    problems,
    documents,
    pins,
    files,
  };
}

async function checkFile(
  f: { filename: string; sha256: string },
  indexUrl: string,
  opts: VerifyOptions,
  cred: Credential | undefined,
  files: VerifyReport['files'],
  done: Set<string>,
): Promise<void> {
  // The same file pinned on several targets is checked once.
  if (done.has(f.filename)) return;
  done.add(f.filename);
  let actual: string | null = null;
  if (opts.filesDir && existsSync(join(opts.filesDir, f.filename))) actual = await sha256OfFile(join(opts.filesDir, f.filename));
  else if (opts.fetchFiles) {
    const base = indexUrl.replace(/\/simple\/?$/, '');
    const bytes = await fetchBytes(
      `${base}/files/${f.sha256.slice(0, 2)}/${f.sha256.slice(2, 4)}/${f.sha256}/${encodeURIComponent(f.filename)}`,
      cred,
    );
    if (!bytes) {
      // Rejected or removed since: pip, fetching it from the same place, fails too.
      files.notServed.push(f.filename);
      return;
    }
    actual = sha256Hex(bytes);
  }
  if (actual === null) {
    files.unavailable++;
    return;
  }
  files.checked++;
  if (actual === f.sha256) files.ok++;
  else files.mismatched.push({ filename: f.filename, expected: f.sha256, actual });
}
