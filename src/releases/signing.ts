// The repository's release signing key: Ed25519 (node:crypto), generated on first use into
// <data>/keys/release-signing.{key,pub}, the private half readable by its owner only. The public
// half is served at /releases/signing-key.pub so that anyone can verify a release offline. A
// private key that went missing while its public half is still there is never replaced silently:
// a new pair would make every earlier release stop verifying against the served key.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PyvetError } from '../errors.js';
import type { Repository } from '../repository/types.js';

export const KEYS_DIR = 'keys';
const KEY_FILE = 'release-signing.key';
const PUB_FILE = 'release-signing.pub';

function paths(repo: Repository): { dir: string; key: string; pub: string } {
  const dir = join(repo.config.data_dir, KEYS_DIR);
  return { dir, key: join(dir, KEY_FILE), pub: join(dir, PUB_FILE) };
}

/**
 * The fingerprint people compare out of band: `sha256:` and the hex SHA-256 of the key's DER
 * SubjectPublicKeyInfo bytes (`openssl pkey -pubin -in signing-key.pub -outform DER | sha256sum`),
 * as `release show`, `release verify` and `mirror --release` print it.
 */
export function keyFingerprint(publicPem: string | KeyObject): string {
  let key: KeyObject;
  try {
    key = typeof publicPem === 'string' ? createPublicKey(publicPem) : publicPem;
  } catch (err) {
    throw new PyvetError('KEY_INVALID', 'invalid', `not a public key: ${(err as Error).message}`);
  }
  return `sha256:${createHash('sha256').update(key.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

/**
 * The private key, creating the pair when the repository has none yet: never when only the
 * private half is gone, and never when both are gone while `signedBefore` releases were signed
 * here, unless `newKey` says so (the operator lost the keys and starts over on purpose).
 */
export function signingKey(repo: Repository, opts: { signedBefore?: number; newKey?: boolean } = {}): KeyObject {
  const p = paths(repo);
  const signedBefore = opts.signedBefore ?? 0;
  if (!existsSync(p.key) && !existsSync(p.pub) && signedBefore > 0 && !opts.newKey) {
    throw new PyvetError(
      'SIGNING_KEY_MISSING',
      'unavailable',
      `the release signing key is gone (neither ${p.key} nor ${p.pub} exists), but ${signedBefore} release${signedBefore === 1 ? ' was' : 's were'} signed here with it: ` +
        'a new key pair would make every earlier release stop verifying against the served key. ' +
        `Either restore ${p.dir} from a backup, or, to start a new key on purpose, pass --new-signing-key ` +
        '(earlier releases then verify only with the old public key: whoever verifies them needs it, with --key)',
      { key: p.key, publicKey: p.pub, releases: signedBefore },
    );
  }
  if (!existsSync(p.key) && existsSync(p.pub)) {
    let fingerprint = 'unreadable';
    try {
      fingerprint = keyFingerprint(readFileSync(p.pub, 'utf8'));
    } catch {
      // said as unreadable
    }
    const keptAs = `${p.pub}.${fingerprint.replace(/^sha256:/, '').slice(0, 16)}.old`;
    if (!opts.newKey) {
      throw new PyvetError(
        'SIGNING_KEY_MISSING',
        'unavailable',
        `the release signing key ${p.key} is missing, but its public key ${p.pub} (${fingerprint}) is still there: ` +
          'earlier releases were signed with it, and a new key pair would make them all stop verifying against the served key. ' +
          `Either restore ${p.key} from a backup, or, to start a new key on purpose, pass --new-signing-key ` +
          `(the old public key is then kept as ${keptAs}: earlier releases verify only with it, given to verify with --key)`,
        { key: p.key, publicKey: p.pub, fingerprint },
      );
    }
    // Kept under a name of its own: it is what verifies every release signed before.
    renameSync(p.pub, keptAs);
  }
  if (!existsSync(p.key)) {
    mkdirSync(p.dir, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    try {
      // 'wx': if another process created the key meanwhile, keep theirs.
      writeFileSync(p.key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
      writeFileSync(p.pub, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return createPrivateKey(readFileSync(p.key));
}

/** The public key (PEM), or undefined when no release was ever signed here. */
export function publicKeyPem(repo: Repository): string | undefined {
  const p = paths(repo);
  if (existsSync(p.pub)) return readFileSync(p.pub, 'utf8');
  if (existsSync(p.key)) return createPublicKey(createPrivateKey(readFileSync(p.key))).export({ type: 'spki', format: 'pem' }) as string;
  return undefined;
}

/** Signature file content: the base64 Ed25519 signature of the exact manifest bytes, one line. */
export function signManifest(key: KeyObject, manifest: string): string {
  return `${sign(null, Buffer.from(manifest, 'utf8'), key).toString('base64')}\n`;
}

export function verifyManifest(publicPem: string, manifest: string | Uint8Array, signature: string): boolean {
  let key: KeyObject;
  try {
    key = createPublicKey(publicPem);
  } catch (err) {
    throw new PyvetError('KEY_INVALID', 'invalid', `not a public key: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PyvetError('KEY_INVALID', 'invalid', `release keys are Ed25519, this one is ${key.asymmetricKeyType}`);
  }
  const sig = Buffer.from(signature.trim(), 'base64');
  if (sig.length !== 64) return false;
  return verify(null, typeof manifest === 'string' ? Buffer.from(manifest, 'utf8') : manifest, key, sig);
}
