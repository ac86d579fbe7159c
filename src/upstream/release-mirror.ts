// Mirroring another pyvet's signed release whole: the manifest is checked against an Ed25519
// key (pinned by the operator, or fetched and reported by fingerprint), then exactly the files
// it pins, by sha256, are mirrored from that pyvet's index (or another named upstream).
import { readFile } from 'node:fs/promises';
import { PyvetError } from '../errors.js';
import type { Manifest } from '../releases/documents.js';
import { keyFingerprint, verifyManifest } from '../releases/signing.js';
import { type Credentials, fetchText, redactUrl, type TransferOptions } from './http.js';
import { redactTypedUrl } from './upstreams.js';

export interface SignedRelease {
  name: string;
  /** The manifest's index URL: where its files are served. */
  indexUrl: string;
  /** A hash-pinned requirements text with every file the release pins, on all its targets. */
  requirements: string;
  files: number;
  /** sha256 of the public key (DER), for the operator to compare out of band. */
  keyFingerprint: string;
  /** 'given' or the URL the key was fetched from (without userinfo: it is printed). */
  keySource: string;
  /**
   * Whether the operator pinned the key (--release-key). false: it came from the release's own
   * server, so the signature proves the release is consistent, not who published it; compare
   * keyFingerprint with the publisher's out of band.
   */
  keyTrusted: boolean;
}

function releaseBase(url: string): string {
  const u = url.replace(/manifest\.json$/, '');
  return u.endsWith('/') ? u : `${u}/`;
}

export interface ReleaseFetchOptions extends TransferOptions {
  /** The credentials for one URL (a configured upstream's, on that upstream's own origin only). */
  credentialsFor?: (url: string) => Credentials | undefined;
}

/** Checked before anything is fetched: a URL that does not parse is invalid input, echoed without its userinfo. */
function checkUrl(text: string, what: string): void {
  if (!URL.canParse(text)) throw new PyvetError('RELEASE_URL_INVALID', 'invalid', `${what}: '${redactTypedUrl(text)}' is not a URL`);
}

function get(url: string, opts: ReleaseFetchOptions) {
  const { credentialsFor, ...transfer } = opts;
  return fetchText(url, { ...transfer, credentials: credentialsFor?.(url) });
}

async function readKey(location: string, opts: ReleaseFetchOptions): Promise<string> {
  if (/^(https?|file):/i.test(location)) {
    const doc = await get(location, opts);
    if (!doc) throw new PyvetError('RELEASE_KEY_NOT_FOUND', 'not_found', `no public key at ${redactUrl(location)}`);
    return doc.text;
  }
  try {
    return await readFile(location, 'utf8');
  } catch (err) {
    // Invalid input naming the file (a path that looks like a URL is shown without its userinfo).
    const shown = /^[a-z][a-z0-9+.-]*:/i.test(location) ? redactTypedUrl(location) : location;
    // Node's message ends with the path as given: said once, above.
    const why = (err as Error).message.replace(/, \w+ '.*'$/s, '');
    throw new PyvetError('FILE_UNREADABLE', 'invalid', `cannot read the release key file ${shown}: ${why}`, { path: shown });
  }
}

/** Fetches and verifies a release; throws RELEASE_SIGNATURE_INVALID unless the signature holds. */
export async function fetchSignedRelease(url: string, keyLocation?: string, opts: ReleaseFetchOptions = {}): Promise<SignedRelease> {
  checkUrl(url, 'the release URL');
  if (keyLocation && /^(https?|file):/i.test(keyLocation)) checkUrl(keyLocation, 'the release key URL');
  const base = releaseBase(url);
  // A key given by the operator is read first: a wrong path fails before anything is fetched.
  const givenKey = keyLocation === undefined ? undefined : await readKey(keyLocation, opts);
  const manifestDoc = await get(`${base}manifest.json`, opts);
  const signature = await get(`${base}manifest.json.sig`, opts);
  if (!manifestDoc || !signature) {
    throw new PyvetError('RELEASE_NOT_FOUND', 'not_found', `no signed release manifest at ${redactUrl(base)}`);
  }
  // The key a release is checked with never comes from the manifest itself: it is pinned by the
  // operator, or read from the server's well-known location and reported by fingerprint.
  const keySource = keyLocation ?? new URL('../signing-key.pub', base).toString();
  const pem = givenKey ?? (await readKey(keySource, opts));
  if (!verifyManifest(pem, manifestDoc.text, signature.text)) {
    throw new PyvetError('RELEASE_SIGNATURE_INVALID', 'integrity', `the signature of ${redactUrl(base)}manifest.json does not verify`);
  }
  const manifest = JSON.parse(manifestDoc.text) as Manifest;
  const lines = new Map<string, Set<string>>();
  for (const t of Object.values(manifest.targets)) {
    for (const f of t.files) {
      const key = `${f.project}==${f.version}`;
      const set = lines.get(key) ?? new Set<string>();
      set.add(f.sha256);
      lines.set(key, set);
    }
  }
  const requirements = [
    `# pyvet release ${manifest.name} from ${redactUrl(base)}`,
    '--require-hashes',
    ...[...lines]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([req, hashes]) => `${req} ${[...hashes].sort().map((h) => `--hash=sha256:${h}`).join(' ')}`),
    '',
  ].join('\n');
  return {
    name: manifest.name,
    indexUrl: manifest.index_url,
    requirements,
    files: [...lines.values()].reduce((n, s) => n + s.size, 0),
    keyFingerprint: keyFingerprint(pem),
    keySource: keyLocation ? 'given' : redactUrl(keySource),
    // A key URL the operator gave on the release's own origin is as changeable as the release.
    keyTrusted: keyLocation !== undefined && !(/^https?:/i.test(keyLocation) && new URL(keyLocation).origin === new URL(base).origin),
  };
}
