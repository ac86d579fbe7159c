// Mirroring: bring files in from trusted upstreams, into quarantine, with the upstream's sha256
// checked on the way. The plan is breadth-first over requirements: each requirement picks, per
// target, the newest version whose best wheel installs there; `withDeps` follows Requires-Dist
// (markers evaluated per target) until everything is satisfied by what is hosted or fetched.
// Within a round the work is pipelined: a file is downloaded as soon as its requirement is
// decided, and checked and stored while the next downloads run.
//
// Guarantees: a name matching an owned pattern is never looked up upstream; one project comes
// from exactly one upstream (the preferred one allowed to supply it, never a mix); a file whose
// bytes differ from the upstream's sha256 is never stored; a re-run skips what is stored and
// resumes partial downloads.
import { limiter, mapLimit } from '../concurrency.js';
import { rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import type { FileRecord } from '../catalog/types.js';
import { asPyvetError, PyvetError } from '../errors.js';
import { artifactLimits } from '../artifacts/index.js';
import { takeLock } from '../process-lock.js';
import { ingestFile } from '../repository/ingest.js';
import type { Actor, Repository } from '../repository/types.js';
import {
  markerApplies,
  matching,
  type ParsedRequirement,
  parseRequirementFrom,
  requiresPythonAdmits,
} from '../resolve/requirements.js';
import { fileTagRank, type Target } from '../resolve/targets.js';
import { parseVersion } from '../resolve/universe.js';
import { parseCoreMetadata } from '../standards/metadata.js';
import { parseRequirementsFile, type RequirementsFileEntry } from '../standards/requirements-file.js';
import type { Version } from '../standards/version.js';
import { fromUpstream, vetUndecided } from '../vetting/index.js';
import { ownedNameMatcher, sdistsAllowed } from './guard.js';
import { download, fetchText, linkAllowed, redactUrl, refusedLink } from './http.js';
import { fetchSignedRelease, type SignedRelease } from './release-mirror.js';
import type { UpstreamFile } from './simple-client.js';
import { chooseUpstreams, type Refusal, transferOptions, type UpstreamCandidate, UpstreamSources } from './sources.js';
import { listUpstreams, sameOrigin, type Upstream, upstreamCredentialsFor } from './upstreams.js';

export interface MirrorOptions {
  actor: Actor;
  /** PEP 508 requirements. */
  requirements?: string[];
  /** A hash-pinned requirements file (e.g. a published toolkit file): exactly those hashes are fetched. */
  requirementsFile?: { text: string; source: string; path?: string | undefined };
  /** An upstream name or an index URL; default: every configured upstream by priority. */
  from?: string | undefined;
  /** Another pyvet's signed release: its files, exactly, from its own index unless `from` says otherwise. */
  release?: { url: string; key?: string | undefined };
  targets: Target[];
  withDeps?: boolean;
  prereleases?: boolean;
  /** Plan only: nothing is downloaded or stored (dependencies are followed through PEP 658 metadata). */
  dryRun?: boolean;
  onEvent?: (event: MirrorEvent) => void;
}

export type MirrorEvent =
  /** `bytes` counts only the files whose size the index gave (PEP 700); `unsized` are the others. */
  | { type: 'planned'; files: number; bytes: number; unsized: number }
  | { type: 'start'; filename: string; size: number | null }
  | { type: 'bytes'; n: number }
  | { type: 'done'; filename: string; outcome: 'fetched' | 'present' | 'failed' };

export interface MirroredFile {
  project: string;
  version: string;
  filename: string;
  upstream: string;
  sha256: string;
  size: number | null;
  /** The vetting decision on ingest (null in a dry run or when already present). */
  verdict: string | null;
  /** What asked for it: the chain of projects from a top-level requirement. */
  neededBy: string[];
  /** Expanded wheel tags ([] for an sdist). */
  tags: string[];
  requiresPython: string | null;
  /** Its Requires-Dist, when known (always after a fetch; in a dry run from PEP 658 metadata or the cached file). */
  requiresDist: string[] | null;
  providesExtra: string[];
}

export type { Refusal } from './sources.js';

export interface Unsatisfied {
  requirement: string;
  target: string;
  neededBy: string[];
  reason: string;
  /** The error's code when the requirement failed on an error (an index page that could not be read). */
  code?: string;
}

export interface MirrorFailure {
  filename: string;
  code: string;
  message: string;
}

export interface MirrorReport {
  fetched: MirroredFile[];
  /** Chosen files the repository already had (not downloaded again). */
  present: MirroredFile[];
  refused: Refusal[];
  unsatisfied: Unsatisfied[];
  failed: MirrorFailure[];
  /** Bytes downloaded by this run (a file an earlier dry run downloaded is not downloaded again). */
  bytes: number;
  /** Bytes of the files this run stored (newly catalogued), wherever they were downloaded. */
  storedBytes: number;
  seconds: number;
  dryRun: boolean;
  /** The signed release that was mirrored, with the key it was verified with. */
  /** keyTrusted: the key was pinned (--release-key from elsewhere than the release's server). */
  release?: { name: string; keyFingerprint: string; keySource: string; keyTrusted: boolean; files: number };
}

interface Need {
  req: ParsedRequirement;
  target: Target;
  chain: string[];
  topLevel: boolean;
  /** From a hash-pinned requirements file: only files with one of these sha256 digests. */
  hashes?: Set<string>;
  /** Why a requirements file line is not fetched at all (it cannot be checked against its pins). */
  refuse?: string;
}

interface FileMetadata {
  requiresDist: string[];
  providesExtra: string[];
}

interface Choice {
  project: string;
  candidate: UpstreamCandidate;
  upstream: Upstream;
  need: Need;
}

function upstreamSha256(f: UpstreamFile): string | undefined {
  const h = f.hashes.sha256;
  return h && /^[0-9a-f]{64}$/.test(h) ? h : undefined;
}

export async function mirror(repo: Repository, opts: MirrorOptions): Promise<MirrorReport> {
  // One mirror at a time per repository: two would write the same .part files, and each would
  // take the other's bytes for an upstream's lie.
  const release = await takeLock(join(repo.config.data_dir, 'tmp', 'mirror', '.lock'), 'a mirror', 'MIRROR_BUSY');
  try {
    return await mirrorLocked(repo, opts);
  } finally {
    release();
  }
}

async function mirrorLocked(repo: Repository, opts: MirrorOptions): Promise<MirrorReport> {
  const started = Date.now();
  let signed: SignedRelease | undefined;
  // The upstream whose credentials a release's own URLs get: the one named by --from, else one
  // configured on the release's origin; either only on its own origin (see upstreamCredentialsFor).
  let releasePeer: Upstream | undefined;
  if (opts.release) {
    const all = await listUpstreams(repo);
    const named = all.find((u) => u.name === opts.from);
    const peerFor = (url: string) => [named, ...all].find((u) => u !== undefined && sameOrigin(u.url, url));
    signed = await fetchSignedRelease(opts.release.url, opts.release.key, {
      ...transferOptions(repo),
      credentialsFor: (url) => {
        const u = peerFor(url);
        return u ? upstreamCredentialsFor(u, url) : undefined;
      },
    });
    if (!opts.from) releasePeer = peerFor(signed.indexUrl);
    opts = {
      ...opts,
      from: opts.from ?? signed.indexUrl,
      requirementsFile: { text: signed.requirements, source: `release ${signed.name}` },
    };
  }
  let upstreams = await chooseUpstreams(repo, opts.from);
  if (releasePeer) {
    // The release's own index, on a configured upstream's origin: asked with its credentials.
    const { username, passwordEnv } = releasePeer;
    upstreams = upstreams.map((u) => (u.name === 'url' ? { ...u, username, passwordEnv } : u));
  }
  // Files an interrupted run left stored but without a decision get theirs first.
  if (!opts.dryRun) await vetUndecided(repo, opts.actor);
  const isOwned = await ownedNameMatcher(repo);
  const allowSdists = await sdistsAllowed(repo);
  const transfer = transferOptions(repo);
  const concurrency = repo.config.mirror.concurrency;
  // Downloads in flight, at most `concurrency` (index pages are looked up beside them); a file
  // downloaded is checked and stored outside its slot, so the next download starts meanwhile.
  // At most as many again wait for or go through ingest.
  const downloadSlot = limiter(concurrency);
  const fileSlot = limiter(2 * concurrency);
  const workDir = join(repo.config.data_dir, 'tmp', 'mirror');
  const report: MirrorReport = {
    fetched: [],
    present: [],
    refused: [],
    unsatisfied: [],
    failed: [],
    bytes: 0,
    storedBytes: 0,
    seconds: 0,
    dryRun: Boolean(opts.dryRun),
    ...(signed
      ? {
          release: {
            name: signed.name,
            keyFingerprint: signed.keyFingerprint,
            keySource: signed.keySource,
            keyTrusted: signed.keyTrusted,
            files: signed.files,
          },
        }
      : {}),
  };
  if (opts.targets.length === 0) throw new PyvetError('TARGET_REQUIRED', 'invalid', 'mirror needs at least one --target');

  // --- upstream pages, one upstream per project ---------------------------------------------
  const sources = new UpstreamSources(repo, upstreams, { isOwned, allowSdists, transfer });
  const refusedProjects = sources.refusedProjects;
  const sourceOf = (project: string) => sources.get(project);

  // --- what the repository already has -------------------------------------------------------
  const addedCache = new Map<string, Promise<boolean>>();
  /** Whether the project has files here, every one added or uploaded (rejected ones count too). */
  const addedHere = (project: string) => {
    let a = addedCache.get(project);
    if (!a) {
      a = repo.catalog.files.list({ project }).then((fs) => fs.length > 0 && fs.every((f) => !fromUpstream(f.origin)));
      addedCache.set(project, a);
    }
    return a;
  };
  const hostedCache = new Map<string, Promise<FileRecord[]>>();
  const hosted = (project: string) => {
    let h = hostedCache.get(project);
    if (!h) {
      h = repo.catalog.files.list({ project, states: ['quarantined', 'approved'] });
      hostedCache.set(project, h);
    }
    return h;
  };

  // --- breadth-first over needs ------------------------------------------------------------------
  const initial = initialNeeds(opts);
  let frontier: Need[] = initial.needs;
  const constraintsOf = (project: string) => initial.constraints.get(project) ?? [];
  const seenNeeds = new Set<string>();
  const expanded = new Set<string>();
  const chosen = new Map<string, MirroredFile>();

  while (frontier.length > 0) {
    const needs = frontier.filter((n) => {
      const key = `${n.target.name}\u0000${n.req.text}\u0000${n.topLevel}`;
      if (seenNeeds.has(key)) return false;
      seenNeeds.add(key);
      return true;
    });
    frontier = [];
    // Each file is fetched as soon as its requirement is decided, while the others are still
    // being looked up: a long list (a pinned toolkit file) does not wait for every index page.
    // Files are fetched once each, with what asked for them; expansion keeps the needs' order.
    const fetches = new Map<string, Promise<string[] | null>>();
    const expandPerNeed: { need: Need; requiresDist: string[] | null; choice?: Choice }[][] = [];
    try {
      await mapLimit(needs, concurrency, async (need, i) => {
        const d = await decide(need);
        if (!d) return;
        if ('hostedFile' in d) {
          expandPerNeed[i] = [{ need: d.need, requiresDist: d.hostedFile.requiresDist }];
          return;
        }
        expandPerNeed[i] = d.choices.map((choice) => ({ need: d.need, requiresDist: null, choice }));
        const fresh = d.choices.filter((c) => !fetches.has(c.candidate.file.filename));
        opts.onEvent?.({
          type: 'planned',
          files: fresh.length,
          bytes: fresh.reduce((s, c) => s + (c.candidate.file.size ?? 0), 0),
          unsized: fresh.filter((c) => c.candidate.file.size === null || c.candidate.file.size === undefined).length,
        });
        for (const c of fresh) fetches.set(c.candidate.file.filename, fileSlot(() => fetchOne(c)));
      });
    } finally {
      // Whatever happened to the lookups, nothing fetched is left running unobserved.
      await Promise.allSettled(fetches.values());
    }
    const metadata = new Map<string, string[] | null>();
    for (const [filename, fetched] of fetches) metadata.set(filename, await fetched);
    const expandFrom = expandPerNeed.flat();
    if (!opts.withDeps) continue;
    for (const e of expandFrom) {
      // Every pinned file is fetched, but a target's dependencies are those of the files it can install.
      const c = e.choice?.candidate;
      if (c && e.need.hashes && c.kind === 'wheel' && fileTagRank(e.need.target, c.tags) === undefined) continue;
      const requiresDist = e.requiresDist ?? (e.choice ? metadata.get(e.choice.candidate.file.filename) : null);
      if (!requiresDist) continue;
      const project = e.need.req.project;
      const key = `${e.choice?.candidate.file.filename ?? project}\u0000${e.need.target.name}\u0000${e.need.req.extras.join(',')}`;
      if (expanded.has(key)) continue;
      expanded.add(key);
      const chain = [...e.need.chain, project];
      for (const line of requiresDist) {
        let dep: ParsedRequirement;
        try {
          dep = parseRequirementFrom(line, `Requires-Dist of ${project}`);
        } catch (err) {
          report.unsatisfied.push({ requirement: line, target: e.need.target.name, neededBy: chain, reason: (err as Error).message });
          continue;
        }
        const applies = ['', ...e.need.req.extras].some((extra) => markerApplies(dep, e.need.target, extra));
        if (applies) frontier.push({ req: dep, target: e.need.target, chain, topLevel: false, ...pinsFor(initial.pinned, dep) });
      }
    }
  }

  report.refused = sources.refused;
  report.seconds = (Date.now() - started) / 1000;
  if (!opts.dryRun) {
    // Evidence of the run itself: what was refused and why, which files failed their checks
    // (a hash mismatch is an upstream's lie on record), besides each file's own ingest entry.
    const outcome = {
      fetched: report.fetched.map((f) => f.filename),
      present: report.present.length,
      refused: report.refused.map((r) => ({ project: r.project, code: r.code, reason: r.reason })),
      failed: report.failed.map((f) => ({ filename: f.filename, code: f.code })),
      unsatisfied: report.unsatisfied.length,
      // `bytes` is what this run downloaded: a plan's dry run may have downloaded them already.
      storedBytes: report.storedBytes,
    };
    await repo.catalog.transaction((tx) =>
      tx.audit.append(
        signed
          ? {
              // Provenance: which signed release these files came in as, verified with which key.
              actor: opts.actor.name,
              action: 'release.mirror',
              subject: signed.name,
              details: {
                url: redactUrl(opts.release!.url),
                indexUrl: redactUrl(signed.indexUrl),
                // Where the files were actually fetched from (--from may name another index than the manifest's).
                fetchedFrom: upstreams.map((u) => redactUrl(u.url)),
                keyFingerprint: signed.keyFingerprint,
                keyTrusted: signed.keyTrusted,
                // A URL without its userinfo, or the path of a key file given on the command line.
                keySource: /^[a-z][a-z0-9+.-]*:/i.test(signed.keySource) ? redactUrl(signed.keySource) : signed.keySource,
                files: signed.files,
                ...outcome,
              },
            }
          : {
              actor: opts.actor.name,
              action: 'upstream.mirror',
              subject: mirrorSubject(opts),
              details: { upstreams: upstreams.map((u) => u.name), targets: opts.targets.map((t) => t.name), ...outcome, bytes: report.bytes },
            },
      ),
    );
  }
  return report;

  // --- helpers closing over the run's state ------------------------------------------------------

  async function decide(need: Need): Promise<{ need: Need; choices: Choice[] } | { need: Need; hostedFile: FileRecord } | null> {
    const { req, target } = need;
    const unsatisfied = (reason: string, code?: string) => {
      report.unsatisfied.push({ requirement: req.text, target: target.name, neededBy: need.chain, reason, ...(code ? { code } : {}) });
      return null;
    };
    if (req.url) return unsatisfied('a direct URL reference cannot be mirrored from an index');
    // The requirement with the -c constraints on its project, as pip applies them.
    const specs = [req, ...constraintsOf(req.project)];
    // Under a hash-pinned file's pins, only the pinned bytes count, hosted or planned.
    const pinnedOk = (sha256: string) => !need.hashes || need.hashes.has(sha256);
    if (!need.topLevel) {
      // A dependency already satisfied by a hosted file for this target needs nothing new.
      const hostedFiles = (await hosted(req.project)).filter((f) => pinnedOk(f.sha256));
      const ok = matching(specs, hostedCandidates(hostedFiles, target), opts.prereleases);
      if (ok.length > 0) return { need, hostedFile: ok[0]!.file };
      const planned = [...chosen.values()].filter((m) => m.project === req.project && pinnedOk(m.sha256));
      const inPlan = matching(
        specs,
        planned.map((m) => ({ version: parseVersion(m.version), m })),
        opts.prereleases,
      );
      if (inPlan.length > 0) return null;
    }
    if (need.refuse) return unsatisfied(need.refuse);
    if (!need.topLevel && (await addedHere(req.project))) {
      // Dependency confusion without an owned_names entry: a project that exists here only as
      // added or uploaded files is not looked up outside as someone's dependency. Named on the
      // command line, it is the operator's explicit choice.
      return sources.refuseProject(
        req.project,
        'PUBLISHED_HERE',
        `${req.project} was added or uploaded here and no file of it came from an upstream: as a dependency it is never fetched from one, since a public project of that name need not be this one. If it is a public project, mirror it by name (pyvet mirror '${req.text}'); if it is yours, list it in the policy's owned_names`,
      );
    }
    let source: Awaited<ReturnType<typeof sourceOf>>;
    try {
      source = await sourceOf(req.project);
    } catch (err) {
      // One index page that cannot be read fails its requirement, not the run.
      const e = asPyvetError(err);
      return unsatisfied(e.message, e.code);
    }
    if (!source) {
      return refusedProjects.has(req.project) ? null : unsatisfied(`${req.project} is not in any upstream allowed to supply it`);
    }
    let pool = source.candidates;
    if (need.hashes) {
      const exact = pool.filter((c) => need.hashes!.has(upstreamSha256(c.file) ?? ''));
      if (exact.length === 0) {
        return unsatisfied(`no file of ${req.project} in upstream '${source.upstream.name}' has any of the pinned hashes`);
      }
      // The pins name exact files, but of the version the line asks for: a hash of another
      // version (a pre-release where '==1.0' is written) does not stand in for it.
      const fit = req.specifierText === '' && specs.length === 1 ? exact : matching(specs, exact, opts.prereleases);
      if (fit.length === 0) {
        const versions = [...new Set(exact.map((c) => c.versionText))].join(', ');
        const constrained = specs.length > 1 ? ' and its constraints' : '';
        return unsatisfied(
          `the pinned files of ${req.project} are version ${versions}, which does not satisfy '${req.specifierText || '*'}'${constrained}`,
        );
      }
      // A hash-pinned file names exact files: fetch every one of them, whatever the target.
      return { need, choices: fit.map((candidate) => ({ project: req.project, candidate, upstream: source.upstream, need })) };
    }
    // Best file per version for this target; yanked files only for an exact pin (PEP 592).
    const byVersion = new Map<string, { c: UpstreamCandidate; rank: number }>();
    for (const c of pool) {
      if (c.file.yanked !== false && !req.pinned) continue;
      const rank = c.kind === 'wheel' ? fileTagRank(target, c.tags) : Number.MAX_SAFE_INTEGER;
      if (rank === undefined) continue;
      if (!requiresPythonAdmits(c.file.requiresPython, target)) continue;
      const cur = byVersion.get(c.versionText);
      if (!cur || rank < cur.rank) byVersion.set(c.versionText, { c, rank });
    }
    pool = [...byVersion.values()].map((x) => x.c).sort((a, b) => b.version.compare(a.version));
    const fits = matching(specs, pool, opts.prereleases);
    if (fits.length === 0) {
      // An sdist the policy keeps out is a refusal to say, not a file the upstream lacks.
      const sdists = matching(
        specs,
        source.sdistOnlyByPolicy.map((v) => ({ version: parseVersion(v) })),
        opts.prereleases,
      );
      const policy = sdists.length > 0 ? `; it has an sdist of ${sdists.map((s) => s.version.toString()).join(', ')}, which the policy does not allow (allow_sdists: false)` : '';
      return unsatisfied(
        `no version of ${req.project} in upstream '${source.upstream.name}' satisfies '${req.specifierText || '*'}' with a file for ${target.name}${policy}`,
        sdists.length > 0 ? 'SDIST_NOT_ALLOWED' : undefined,
      );
    }
    return { need, choices: [{ project: req.project, candidate: fits[0]!, upstream: source.upstream, need }] };
  }

  /** Downloads, checks and ingests one file; returns its Requires-Dist (null when unknown). */
  async function fetchOne(c: Choice): Promise<string[] | null> {
    const f = c.candidate.file;
    const entry: MirroredFile = {
      project: c.project,
      version: c.candidate.versionText,
      filename: f.filename,
      upstream: c.upstream.name,
      sha256: upstreamSha256(f) ?? '',
      size: f.size,
      verdict: null,
      neededBy: c.need.chain,
      tags: c.candidate.tags,
      requiresPython: f.requiresPython,
      requiresDist: null,
      providesExtra: [],
    };
    chosen.set(f.filename, entry);
    const fail = (code: string, message: string) => {
      report.failed.push({ filename: f.filename, code, message });
      opts.onEvent?.({ type: 'done', filename: f.filename, outcome: 'failed' });
      return null;
    };
    if (!linkAllowed(c.upstream.url, f.url)) {
      const e = refusedLink(c.upstream.url, f.url);
      return fail(e.code, e.message);
    }
    const sha256 = upstreamSha256(f);
    if (!sha256) {
      return fail('UPSTREAM_NO_HASH', `upstream '${c.upstream.name}' gives no sha256 for ${f.filename}: it cannot be checked, so it is not fetched`);
    }
    const stored = await repo.catalog.files.getByFilename(f.filename);
    if (stored) {
      if (stored.sha256 !== sha256) {
        return fail(
          'FILE_EXISTS',
          `${f.filename} is already stored with sha256 ${stored.sha256}, but upstream '${c.upstream.name}' lists ${sha256}`,
        );
      }
      entry.requiresDist = stored.requiresDist;
      entry.providesExtra = stored.providesExtra;
      report.present.push(entry);
      opts.onEvent?.({ type: 'done', filename: f.filename, outcome: 'present' });
      return stored.requiresDist;
    }
    const maxBytes = repo.config.limits.max_file_bytes;
    if (f.size !== null && f.size > maxBytes) {
      return fail(
        'UPSTREAM_FILE_TOO_LARGE',
        `${f.filename} is ${f.size} bytes by the index, over the repository's limit of ${maxBytes} bytes (limits.max_file_bytes); it is not fetched`,
      );
    }
    const dest = join(workDir, sha256.slice(0, 2), `${sha256}-${f.filename}`);
    try {
      if (!opts.dryRun || !f.coreMetadata) {
        const got = await downloadSlot(() => {
          opts.onEvent?.({ type: 'start', filename: f.filename, size: f.size });
          return download(f.url, dest, {
            ...transfer,
            // Only the index's own origin gets the upstream's credentials: a link may point anywhere.
            credentials: upstreamCredentialsFor(c.upstream, f.url),
            expectedSha256: sha256,
            // Bounded while it arrives: an endless body is cut off, not written to disk.
            maxBytes,
            expectedSize: f.size,
            linkedFrom: c.upstream.url,
            // Ingest checks the upstream's sha256 (and takes every digest) on a worker thread;
            // a dry run stores nothing, so it checks here.
            hash: Boolean(opts.dryRun),
            onBytes: (n) => opts.onEvent?.({ type: 'bytes', n }),
          });
        });
        report.bytes += got.transferred;
        entry.size = got.size;
      }
      if (opts.dryRun) {
        // Nothing is stored; a downloaded file stays in the work cache for the real run.
        const md = f.coreMetadata ? await upstreamMetadata(c) : await cachedMetadata(dest, f.filename);
        entry.requiresDist = md?.requiresDist ?? null;
        entry.providesExtra = md?.providesExtra ?? [];
        report.fetched.push(entry);
        opts.onEvent?.({ type: 'done', filename: f.filename, outcome: 'fetched' });
        return entry.requiresDist;
      }
      const result = await ingestFile(repo, dest, {
        actor: opts.actor,
        origin: `upstream:${c.upstream.name}`,
        filename: f.filename,
        expectedSha256: sha256,
        upstreamUploadedAt: f.uploadTime,
        // Not `consume` but `keep`: the store links the download rather than taking it over, so
        // that until it is catalogued it stays where a re-run after a kill finds it, and its bytes
        // are neither copied nor written to disk twice. Nothing else writes the mirror's work folder
        // (one mirror at a time holds its lock).
        keep: true,
      });
      entry.verdict = result.decision?.verdict ?? null;
      entry.requiresDist = result.file.requiresDist;
      entry.providesExtra = result.file.providesExtra;
      (result.created ? report.fetched : report.present).push(entry);
      if (result.created) report.storedBytes += result.file.size;
      opts.onEvent?.({ type: 'done', filename: f.filename, outcome: result.created ? 'fetched' : 'present' });
      await rm(dest, { force: true });
      return result.file.requiresDist;
    } catch (err) {
      await rm(dest, { force: true });
      const e = asPyvetError(err);
      if (e.code === 'DIGEST_MISMATCH') {
        // Checked at ingest; to the operator it is the upstream that served other bytes.
        return fail(
          'UPSTREAM_HASH_MISMATCH',
          `${redactUrl(f.url)}: sha256 is ${String(e.details?.sha256 ?? 'different')}, upstream '${c.upstream.name}' promised ${sha256}; nothing was stored`,
        );
      }
      return fail(e.code, e.message);
    }
  }

  /** Metadata read from a downloaded (not ingested) file, with the same safe reader as ingest. */
  async function cachedMetadata(path: string, filename: string): Promise<FileMetadata> {
    const r = await repo.inspector.inspect(path, { filename, limits: artifactLimits(repo.config.limits) });
    return { requiresDist: r.requiresDist, providesExtra: r.providesExtra };
  }

  /** Metadata from the upstream's PEP 658 file, checked against its digest. */
  async function upstreamMetadata(c: Choice): Promise<FileMetadata | null> {
    const f = c.candidate.file;
    if (f.coreMetadata === false) return null;
    try {
      const doc = await fetchText(`${f.url}.metadata`, { ...transfer, credentials: upstreamCredentialsFor(c.upstream, f.url) });
      if (!doc) return null;
      const want = f.coreMetadata.sha256;
      if (want) {
        const { createHash } = await import('node:crypto');
        const got = createHash('sha256').update(doc.text, 'utf8').digest('hex');
        if (got !== want) throw new PyvetError('UPSTREAM_HASH_MISMATCH', 'integrity', `${redactUrl(f.url)}.metadata: sha256 mismatch`);
      }
      const md = parseCoreMetadata(doc.text);
      return { requiresDist: md.requiresDist, providesExtra: md.providesExtra };
    } catch (err) {
      const e = asPyvetError(err);
      report.failed.push({ filename: `${f.filename}.metadata`, code: e.code, message: e.message });
      return null;
    }
  }
}

/** What a run was asked for, in a few words, as the subject of its audit entry. */
function mirrorSubject(opts: MirrorOptions): string {
  const asked = [...(opts.requirements ?? []), ...(opts.requirementsFile ? [`-r ${opts.requirementsFile.source}`] : [])];
  const shown = asked.slice(0, 5).join(' ');
  return asked.length > 5 ? `${shown} and ${asked.length - 5} more` : shown;
}

interface InitialNeeds {
  needs: Need[];
  /** By project: the specifiers of -c constraints files, applied to every need of the project. */
  constraints: Map<string, ParsedRequirement[]>;
  /** A requirements file in hash-checking mode: what its lines pin (or refuse), by project. */
  pinned?: { byProject: Map<string, Pick<Need, 'hashes' | 'refuse'>> };
}

/**
 * What a dependency is held to under a file in hash-checking mode: the pins of its project's own
 * line, or that line's refusal, so that no other bytes of a pinned project come in as someone's
 * dependency. A project the file does not name is followed as --with-deps asks (checked against
 * the upstream's sha256 like any file): completing a partial file is what --with-deps is for.
 */
function pinsFor(pinned: InitialNeeds['pinned'], dep: ParsedRequirement): Pick<Need, 'hashes' | 'refuse'> {
  return pinned?.byProject.get(dep.project) ?? {};
}

function initialNeeds(opts: MirrorOptions): InitialNeeds {
  const needs: Need[] = [];
  const constraints = new Map<string, ParsedRequirement[]>();
  let pinned: InitialNeeds['pinned'];
  // Top-level requirements are subject to their markers too: one for Windows only is not
  // fetched for a Linux target.
  const perTarget = (req: ParsedRequirement, extra: Omit<Need, 'req' | 'target' | 'chain' | 'topLevel'> = {}) => {
    for (const target of opts.targets) {
      if (markerApplies(req, target)) needs.push({ req, target, chain: [], topLevel: true, ...extra });
    }
  };
  let asked = 0;
  for (const text of opts.requirements ?? []) {
    asked++;
    perTarget(parseRequirementFrom(text, 'requirement'));
  }
  if (opts.requirementsFile) {
    const read = readRequirementsFiles(opts.requirementsFile);
    for (const { entry, where } of read.constraints) {
      const req = parseRequirementFrom(entry.text, where);
      constraints.set(req.project, [...(constraints.get(req.project) ?? []), req]);
    }
    // pip's hash-checking mode: once any requirement has a --hash (or --require-hashes is given),
    // every requirement must have one; the others are refused, never fetched unchecked.
    const hashMode = read.requireHashes
      ? '--require-hashes is given'
      : read.requirements.some((r) => r.entry.hashes.length > 0)
        ? 'other requirements have --hash'
        : undefined;
    const byProject = new Map<string, Pick<Need, 'hashes' | 'refuse'>>();
    const pin = (req: ParsedRequirement, held: Pick<Need, 'hashes' | 'refuse'>) => {
      perTarget(req, held);
      // Lines of one project (under different markers) pin the union of their hashes.
      const had = byProject.get(req.project);
      if (held.hashes) byProject.set(req.project, { hashes: new Set([...(had?.hashes ?? []), ...held.hashes]) });
      else if (!had) byProject.set(req.project, held);
    };
    for (const { entry, where } of read.requirements) {
      asked++;
      const req = parseRequirementFrom(entry.text, where);
      const hashes = new Set(entry.hashes.filter((h) => h.startsWith('sha256:')).map((h) => h.slice(7).toLowerCase()));
      if (hashes.size > 0) {
        pin(req, { hashes });
      } else if (entry.hashes.length > 0) {
        const algorithms = [...new Set(entry.hashes.map((h) => h.split(':')[0]))].join(', ');
        pin(req, {
          refuse: `${where}: pinned only by ${algorithms}; upstream indexes list sha256, so no file can be matched to the pin: add its --hash=sha256:…`,
        });
      } else if (hashMode) {
        pin(req, { refuse: `${where}: no --hash, and the file is in hash-checking mode (${hashMode}): it is not fetched unchecked` });
      } else {
        perTarget(req);
      }
    }
    if (hashMode) pinned = { byProject };
  }
  if (asked === 0) {
    throw new PyvetError('NOTHING_TO_MIRROR', 'invalid', 'name at least one requirement, -r FILE or --release URL');
  }
  return { needs, constraints, ...(pinned ? { pinned } : {}) };
}

interface ReadEntry {
  entry: RequirementsFileEntry;
  /** file:line, for messages. */
  where: string;
}

/**
 * A requirements file with the files it includes: `-r` adds their requirements, `-c` their
 * constraints, each read relative to the file that names it, as pip does. Only a file read from
 * disk may include others; an include that cannot be followed is an error naming its line.
 */
function readRequirementsFiles(root: { text: string; source: string; path?: string | undefined }): {
  requirements: ReadEntry[];
  constraints: ReadEntry[];
  requireHashes: boolean;
} {
  const out = { requirements: [] as ReadEntry[], constraints: [] as ReadEntry[], requireHashes: false };
  const seen = new Set<string>();
  const visit = (text: string, source: string, path: string | undefined, constraint: boolean) => {
    if (path !== undefined) {
      const abs = resolvePath(path);
      if (seen.has(abs)) return;
      seen.add(abs);
    }
    const file = parseRequirementsFile(text, { filename: source });
    if (!constraint && file.requireHashes) out.requireHashes = true;
    for (const entry of file.requirements) {
      const where = `${source}:${entry.line}`;
      if (!entry.requirement) {
        throw new PyvetError('REQUIREMENT_INVALID', 'invalid', `${where}: only named requirements can be mirrored`);
      }
      (constraint ? out.constraints : out.requirements).push({ entry, where });
    }
    const includes = [
      ...file.requirementFiles.map((i) => ({ ...i, constraint })),
      ...file.constraintFiles.map((i) => ({ ...i, constraint: true })),
    ].sort((a, b) => a.line - b.line);
    for (const inc of includes) {
      const where = `${source}:${inc.line}`;
      if (path === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(inc.path)) {
        throw new PyvetError(
          'REQUIREMENTS_INCLUDE_UNSUPPORTED',
          'invalid',
          `${where}: '${inc.path}' cannot be included: only a requirements file on disk may include other files on disk`,
        );
      }
      const included = resolvePath(dirname(path), inc.path);
      let body: string;
      try {
        body = readFileSync(included, 'utf8');
      } catch (err) {
        throw new PyvetError('REQUIREMENTS_INCLUDE_UNREADABLE', 'invalid', `${where}: cannot read '${inc.path}': ${(err as Error).message}`);
      }
      visit(body, inc.path, included, inc.constraint);
    }
  };
  visit(root.text, root.source, root.path, false);
  return out;
}

function hostedCandidates(files: FileRecord[], target: Target): { version: Version; file: FileRecord }[] {
  const out: { version: Version; file: FileRecord }[] = [];
  for (const f of files) {
    if (f.yanked) continue;
    if (f.kind === 'wheel' && fileTagRank(target, f.tags) === undefined) continue;
    if (!requiresPythonAdmits(f.requiresPython, target)) continue;
    out.push({ version: parseVersion(f.version), file: f });
  }
  return out.sort((a, b) => b.version.compare(a.version));
}
