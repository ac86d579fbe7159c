// Release sets: a dated, immutable, signed freeze of a resolved set per target. Creation
// resolves (or takes pins), proves the pinned set is closed on every target, refuses anything
// not approved or blocked by a finding, renders the documents, signs the manifest, and stores it
// all with its audit entry in one transaction.
import type { FileRecord } from '../catalog/types.js';
import type { ReleaseDocument, ReleasePin, ReleaseRecord } from '../catalog/stores/releases.js';
import { PyvetError } from '../errors.js';
import { requireRole } from '../repository/roles.js';
import type { Actor, Repository } from '../repository/types.js';
import { closureOfFiles, type TargetClosure } from '../resolve/closure.js';
import {
  markerApplies,
  matching,
  type ParsedRequirement,
  parseRequirement,
  parseRequirementFrom,
  requiresPythonAdmits,
} from '../resolve/requirements.js';
import { resolveIn } from '../resolve/resolver.js';
import { fileTagRank, getTargets, type Target } from '../resolve/targets.js';
import { buildUniverse, parseVersion, type UnavailableProject, type Universe, usable } from '../resolve/universe.js';
import { canonicalizeName } from '../standards/names.js';
import { parseRequirementsFile } from '../standards/requirements-file.js';
import {
  canonicalJson,
  MANIFEST_PATH,
  type Manifest,
  type ManifestTarget,
  type PinnedFile,
  renderRequirements,
  renderSbom,
  requirementsPath,
  SIGNATURE_PATH,
  sbomPath,
  sha256Hex,
} from './documents.js';
import { findingsOf } from './findings.js';
import { signingKey, signManifest } from './signing.js';
import { LATEST_ALIAS } from './verify.js';
import { redactTypedUrl } from '../upstream/upstreams.js';

export interface CreateReleaseSpec {
  /** Default: the creation date, 'YYYY.MM.DD'. */
  name?: string;
  /** Target names (wildcards allowed). */
  targets: string[];
  /** Top-level requirements to resolve (REQ…). */
  requirements?: string[];
  /** The text of a requirements file: its requirements are resolved; hashes it lists must match. */
  requirementsFile?: { text: string; filename?: string };
  /** Every approved project (resolved together). */
  all?: boolean;
  /** The index URL written into the requirements files. Default: server.base_url, else http://host:port. */
  indexUrl?: string;
  /** Creation time (ISO 8601). Default: now. Given explicitly, output is reproducible byte for byte. */
  created?: string;
  /** Make a new signing key pair although releases were signed here and the key files are gone (see signingKey). */
  newSigningKey?: boolean;
}

export interface ReleaseSummary extends ReleaseRecord {
  /** Pinned files per target. */
  counts: Record<string, number>;
}

export interface ReleaseDetails extends ReleaseRecord {
  documents: Omit<ReleaseDocument, 'content'>[];
  pins: PinNow[];
  /** With --all, per target: the approved projects left out because nothing of theirs installs there. */
  leftOut?: Record<string, UnavailableProject[]>;
}

/**
 * A pin with its file's state now: a release is immutable, but a file it pins may since have
 * been rejected (pip can no longer fetch it: `pip install -r` of the release fails) or yanked.
 */
export interface PinNow extends ReleasePin {
  state: FileRecord['state'] | 'gone';
  yanked: boolean;
}

const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

function checkName(name: string): void {
  // 'signing-key.pub' is where /releases/ serves the public key.
  if (name.toLowerCase() === 'signing-key.pub') {
    throw new PyvetError('RELEASE_NAME_INVALID', 'invalid', `release name '${name}' is reserved: /releases/signing-key.pub serves the public key`, { name });
  }
  if (!RELEASE_NAME.test(name) || name.includes('..')) {
    throw new PyvetError(
      'RELEASE_NAME_INVALID',
      'invalid',
      `release name '${name}' must be letters, digits, '.', '_', '+' or '-' (at most 100), e.g. 2026.11.29`,
      { name },
    );
  }
  // 'latest' (in any case) names the newest release, not one of its own: verify takes a URL's
  // last segment as the release's name, except this alias.
  if (name.toLowerCase() === LATEST_ALIAS) {
    throw new PyvetError('RELEASE_NAME_INVALID', 'invalid', `release name '${name}' is reserved for the alias of the newest release`, {
      name,
    });
  }
}

// ISO 8601 as RFC 3339 writes it: a date (midnight UTC), or a date and time with Z or an offset.
// A time without an offset would be read in the server's zone, so it is not accepted.
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?([Zz]|([+-])(\d{2}):?(\d{2})))?$/;

function normalizeCreated(created: string | undefined): string {
  let d: Date;
  if (created === undefined) d = new Date();
  else {
    const invalid = (why: string) =>
      new PyvetError(
        'RELEASE_CREATED_INVALID',
        'invalid',
        `--created '${created}' ${why}; give an ISO 8601 date or time in UTC or with an offset, years 1970-9999 (e.g. 2026-11-29 or 2026-11-29T08:00:00Z)`,
        { created },
      );
    const m = ISO_TIME.exec(created.trim());
    if (!m) throw invalid('is not an ISO 8601 date, or a date and time with Z or an offset');
    const [y, mo, day, h = 0, mi = 0, sec = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x))) as number[];
    if (m[4] !== undefined && m[7] === undefined) throw invalid('has no offset (Z or ±HH:MM)');
    // Date.UTC rolls over (Feb 30 → Mar 2): days are checked against the month's length first.
    const inMonth = new Date(Date.UTC(2000, mo!, 0)).getUTCDate() - (mo === 2 && !leapYear(y!) ? 1 : 0);
    if (mo! < 1 || mo! > 12 || day! < 1 || day! > inMonth) throw invalid('is not a calendar date');
    if (h! > 23 || mi! > 59 || sec! > 59) throw invalid('is not a time of day');
    const offset = m[8] === undefined ? 0 : (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10]));
    if (Math.abs(offset) >= 24 * 60 || Number(m[10] ?? 0) > 59) throw invalid('has an invalid offset');
    const utc = Date.UTC(y!, mo! - 1, day!, h!, mi!, sec!) - offset * 60_000;
    d = new Date(utc);
    // The manifest and the SBOM write YYYY-MM-DDTHH:MM:SSZ: four-digit years, after the epoch.
    if (y! < 1970 || d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9999) throw invalid('is outside the years 1970-9999');
    // The newest release is 'latest' and every patch's base is older than it: a date ahead of
    // the clock would stay 'latest' for good. A day is left for clocks that disagree.
    if (utc > Date.now() + 24 * 3600 * 1000) throw invalid('is in the future (a release is dated when it is made, or earlier)');
  }
  // Whole seconds: what people read, and what reproducible inputs are written with.
  return `${d.toISOString().slice(0, 19)}Z`;
}

function leapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function defaultIndexUrl(repo: Repository): string {
  const base = repo.config.server.base_url ?? `http://${repo.config.server.host}:${repo.config.server.port}`;
  return `${base.replace(/\/+$/, '')}/simple/`;
}

/** An index URL as it may be shown: any userinfo replaced, whether it parses or not. */
function shownIndexUrl(url: string): string {
  return redactTypedUrl(url).replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The index URL goes verbatim into every requirements file, which is immutable and readable by
 * anyone who may read the release: one line of pip options, so no whitespace or control
 * character (a newline would inject an option), no userinfo (a credential would be published),
 * no fragment (pip drops it); http(s) only.
 */
function checkIndexUrl(url: string): string {
  const invalid = (why: string) =>
    new PyvetError('RELEASE_INDEX_URL_INVALID', 'invalid', `index URL '${shownIndexUrl(url)}' ${why}`, { url: shownIndexUrl(url) });
  if (/[\s\x00-\x1f\x7f-\x9f]/u.test(url)) throw invalid('contains whitespace or a control character');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid('is not a URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid('must be http or https');
  if (u.username !== '' || u.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url)) {
    throw invalid('must not carry a user name or password: requirements files are published (pip takes credentials from its own configuration, keyring or netrc)');
  }
  if (url.includes('#')) throw invalid('must not have a fragment');
  // pip appends project paths to it: a query would end up before them ('?a=b/').
  if (url.includes('?')) throw invalid('must not have a query');
  return url.endsWith('/') ? url : `${url}/`;
}

/** Per target: the chosen file of each pinned project. */
type Selection = Map<Target, Map<string, FileRecord>>;

/** Creates a release from requirements, a requirements file, or every approved project. */
export async function createRelease(repo: Repository, spec: CreateReleaseSpec, actor: Actor): Promise<ReleaseDetails> {
  requireRole(actor, 'approver', 'create a release');
  const created = normalizeCreated(spec.created);
  const name = spec.name ?? created.slice(0, 10).replace(/-/g, '.');
  checkName(name);
  await refuseExisting(repo, name);
  const sources = [spec.requirements?.length ? 1 : 0, spec.requirementsFile ? 1 : 0, spec.all ? 1 : 0].reduce((a, b) => a + b);
  if (sources !== 1) {
    throw new PyvetError(
      'RELEASE_SPEC_INVALID',
      'invalid',
      'say what the release contains: requirements, a requirements file, or all (exactly one)',
    );
  }
  const targets = resolveTargetNames(repo, spec.targets);
  const files = await repo.catalog.files.list({ states: ['approved'] });
  let requirements = spec.requirements ?? [];
  let hashes = new Map<string, ListedHashes>();
  if (spec.requirementsFile) ({ requirements, hashes } = readRequirementsFile(spec.requirementsFile));
  // As pip's finder with hashes: only files whose hash is listed are candidates for that project,
  // so the listed wheel is chosen even where another wheel of the version ranks higher.
  const eligible = hashes.size === 0 ? files : files.filter((f) => hashes.get(f.project)?.sha256.has(f.sha256) ?? true);
  const selection: Selection = new Map();
  const failures: string[] = [];
  const unmatched: string[] = [];
  const leftOut: Record<string, UnavailableProject[]> = {};
  for (const target of targets) {
    const universe = buildUniverse(eligible, target);
    if (spec.all) leftOut[target.name] = universe.unavailable;
    unmatched.push(...hashesMatchingNothing(files, universe, hashes));
    if (unmatched.length > 0) continue;
    const reqs = spec.all ? [...universe.byProject.keys()].sort() : requirements;
    try {
      const resolution = resolveIn(universe, reqs);
      selection.set(target, pinsToFiles(universe, resolution.pins));
    } catch (err) {
      if (err instanceof PyvetError && err.code === 'RESOLUTION_IMPOSSIBLE') failures.push(`${target.name}: ${err.message}`);
      else throw err;
    }
  }
  if (unmatched.length > 0) {
    throw new PyvetError(
      'RELEASE_HASH_MISMATCH',
      'integrity',
      `the requirements file lists hashes that match no approved file it could install:\n  ${unmatched.join('\n  ')}`,
      { release: name, mismatches: unmatched },
    );
  }
  if (failures.length > 0) {
    throw new PyvetError('RELEASE_UNRESOLVABLE', 'policy', `release ${name} refused:\n${failures.join('\n')}`, {
      release: name,
    });
  }
  checkListedHashes(selection, hashes);
  const head = { name, created, base: null, indexUrl: checkIndexUrl(spec.indexUrl ?? defaultIndexUrl(repo)), newSigningKey: spec.newSigningKey === true };
  const details = await publish(repo, head, selection, actor);
  return spec.all ? { ...details, leftOut } : details;
}

export interface PatchSpec {
  /** Default: the base's name with .postN, N the first free number. */
  name?: string;
  /** NAME==VERSION each: replaces (or adds) that project in every target. */
  upgrades: string[];
  indexUrl?: string;
  created?: string;
  /** As CreateReleaseSpec.newSigningKey. */
  newSigningKey?: boolean;
}

/** The next release from a base, with a few projects replaced; refused if that breaks closure. */
export async function patchRelease(repo: Repository, baseName: string, spec: PatchSpec, actor: Actor): Promise<ReleaseDetails> {
  requireRole(actor, 'approver', 'create a release');
  const base = await repo.catalog.releaseSets.get(baseName);
  if (!base) throw notFound(baseName);
  if (spec.upgrades.length === 0) {
    throw new PyvetError('RELEASE_SPEC_INVALID', 'invalid', 'a patch needs at least one --upgrade NAME==VERSION');
  }
  const created = normalizeCreated(spec.created);
  // A patch follows its base: dated before it, `latest` and every listing would order them wrong.
  if (created < base.createdAt) {
    throw new PyvetError(
      'RELEASE_CREATED_INVALID',
      'invalid',
      `--created ${created} is earlier than the base ${base.name} (created ${base.createdAt}); a patch cannot predate its base`,
      { created, base: base.name, baseCreated: base.createdAt },
    );
  }
  const name = spec.name ?? (await nextPatchName(repo, base.name));
  checkName(name);
  await refuseExisting(repo, name);
  const upgrades = spec.upgrades.map((u) => {
    const r = parseRequirementFrom(u, '--upgrade');
    const m = /^===?([^,*]+)$/.exec(r.specifierText);
    if (!m || r.extras.length > 0 || r.marker) {
      throw new PyvetError('UPGRADE_INVALID', 'invalid', `--upgrade takes NAME==VERSION, got '${u}'`, { upgrade: u });
    }
    return { project: r.project, version: m[1]!, text: u };
  });
  const upgraded = new Set(upgrades.map((u) => u.project));
  const targets = resolveTargetNames(repo, base.targets);
  const files = await repo.catalog.files.list({ states: ['approved'] });
  const basePins = await repo.catalog.releaseSets.listPins(base.name);
  const byId = new Map(files.map((f) => [f.id, f]));
  const selection: Selection = new Map();
  const problems: string[] = [];
  for (const target of targets) {
    const universe = buildUniverse(files, target);
    const chosen = new Map<string, FileRecord>();
    for (const p of basePins.filter((x) => x.target === target.name)) {
      // A project being upgraded is replaced, not carried over: its old file being yanked or
      // rejected (a vulnerability found) is the very reason for the patch.
      if (upgraded.has(p.project)) continue;
      const f = byId.get(p.fileId);
      // A file of the base that is no longer approved (rejected, yanked) cannot be carried over.
      if (!f || f.yanked) problems.push(`${target.name}: ${p.filename} of the base is no longer approved`);
      else chosen.set(p.project, f);
    }
    for (const u of upgrades) {
      const c = (universe.byProject.get(u.project) ?? []).find((x) => x.version.equals(u.version));
      if (!c) {
        const have = (universe.byProject.get(u.project) ?? []).map((x) => x.versionText);
        problems.push(
          `${target.name}: no approved file of ${u.project} ${u.version} installs there (approved: ${have.join(', ') || 'none'})`,
        );
      } else chosen.set(u.project, c.file);
    }
    selection.set(target, chosen);
  }
  if (problems.length > 0) {
    throw new PyvetError('PATCH_REFUSED', 'policy', `patch ${name} of ${base.name} refused:\n${problems.join('\n')}`, {
      release: name,
      base: base.name,
      problems,
    });
  }
  return publish(
    repo,
    { name, created, base: base.name, indexUrl: checkIndexUrl(spec.indexUrl ?? base.indexUrl), newSigningKey: spec.newSigningKey === true },
    selection,
    actor,
  );
}

async function nextPatchName(repo: Repository, base: string): Promise<string> {
  const m = /^(.*)\.post(\d+)$/.exec(base);
  const stem = m ? m[1]! : base;
  let n = m ? Number(m[2]) + 1 : 1;
  // Names are unique whatever their case (refuseExisting).
  const taken = new Set((await repo.catalog.releaseSets.list()).map((r) => r.name.toLowerCase()));
  while (taken.has(`${stem}.post${n}`.toLowerCase())) n++;
  return `${stem}.post${n}`;
}

/** A name is taken when a release has it in any case: 'R1' beside 'r1' would be two releases people cannot tell apart. */
async function refuseExisting(repo: Repository, name: string): Promise<void> {
  const lower = name.toLowerCase();
  const other = (await repo.catalog.releaseSets.get(name)) ?? (await repo.catalog.releaseSets.list()).find((r) => r.name.toLowerCase() === lower);
  if (other) {
    const same = other.name === name;
    throw new PyvetError(
      'RELEASE_EXISTS',
      'conflict',
      same
        ? `release ${name} already exists; releases are immutable, pick another name`
        : `release ${other.name} already exists, a name that differs from ${name} only in case; pick another name`,
      { release: name, ...(same ? {} : { existing: other.name }) },
    );
  }
}

function resolveTargetNames(repo: Repository, names: string[]): Target[] {
  if (names.length === 0) throw new PyvetError('TARGET_REQUIRED', 'invalid', 'name at least one --target');
  return getTargets(repo.config, names);
}

function notFound(name: string): PyvetError {
  return new PyvetError('RELEASE_NOT_FOUND', 'not_found', `no release named ${name} (see \`pyvet release list\`)`, {
    release: name,
  });
}

function pinsToFiles(universe: Universe, pins: { project: string; version: string }[]): Map<string, FileRecord> {
  const out = new Map<string, FileRecord>();
  for (const p of pins) {
    const c = universe.byProject.get(p.project)?.find((x) => x.versionText === p.version);
    if (c) out.set(p.project, c.file);
  }
  return out;
}

/** The sha256 hashes a requirements file lists for a project, and the line that lists them. */
interface ListedHashes {
  sha256: Set<string>;
  requirement: ParsedRequirement;
}

/**
 * Per requirement with listed hashes that applies to the universe's target: a line when no file
 * with one of those hashes is a candidate the requirement accepts, naming the hashes and the
 * approved files it would otherwise accept there.
 */
function hashesMatchingNothing(files: readonly FileRecord[], universe: Universe, hashes: Map<string, ListedHashes>): string[] {
  const target = universe.target;
  const out: string[] = [];
  for (const [project, listed] of hashes) {
    const r = listed.requirement;
    if (!markerApplies(r, target, '')) continue;
    if (matching([r], universe.byProject.get(project) ?? [], true).length > 0) continue;
    const candidates = files.filter(
      (f) =>
        f.project === project &&
        usable(f) &&
        f.kind === 'wheel' &&
        fileTagRank(target, f.tags) !== undefined &&
        requiresPythonAdmits(f.requiresPython, target) &&
        r.specifier.contains(parseVersion(f.version), { prereleases: true }),
    );
    const listedText = [...listed.sha256].map((h) => `sha256:${h}`).join(', ');
    const have = candidates.map((f) => `${f.filename} (sha256:${f.sha256})`).join(', ') || 'none';
    out.push(`${target.name}: ${r.text} lists ${listedText}, which no candidate has (approved candidates: ${have})`);
  }
  return out;
}

/** Requirements of a requirements file, and the hashes it pins per project. */
function readRequirementsFile(input: { text: string; filename?: string }): {
  requirements: string[];
  hashes: Map<string, ListedHashes>;
} {
  const file = parseRequirementsFile(input.text, input.filename === undefined ? {} : { filename: input.filename });
  const requirements: string[] = [];
  const hashes = new Map<string, ListedHashes>();
  for (const e of file.requirements) {
    if (!e.requirement || e.url || e.editable) {
      throw new PyvetError('REQUIREMENT_URL', 'invalid', `line ${e.line}: '${e.text}' is not an index requirement`, {
        line: e.line,
      });
    }
    requirements.push(e.text);
    const sha = e.hashes.filter((h) => h.startsWith('sha256:')).map((h) => h.slice(7));
    if (sha.length > 0) {
      hashes.set(canonicalizeName(e.requirement.name), { sha256: new Set(sha), requirement: parseRequirementFrom(e.text, `line ${e.line}`) });
    }
  }
  return { requirements, hashes };
}

function checkListedHashes(selection: Selection, hashes: Map<string, ListedHashes>): void {
  const wrong: string[] = [];
  for (const [target, chosen] of selection) {
    for (const [project, listed] of hashes) {
      const f = chosen.get(project);
      if (f && !listed.sha256.has(f.sha256)) wrong.push(`${target.name}: ${f.filename} (sha256 ${f.sha256}) is not among the hashes listed for ${project}`);
    }
  }
  if (wrong.length > 0) {
    throw new PyvetError('RELEASE_HASH_MISMATCH', 'integrity', `the requirements file pins other bytes:\n${wrong.join('\n')}`, {
      mismatches: wrong,
    });
  }
}

function describeClosure(t: TargetClosure): string[] {
  const lines: string[] = [];
  for (const p of [...t.missing, ...t.unsatisfiable]) {
    const who = p.neededBy.map((n) => `${n.project} ${n.version}`).join(', ');
    const have = p.available.length ? `pinned ${p.available.join(', ')}` : 'not in the set';
    lines.push(`${t.target}: ${p.requirement} (needed by ${who}; ${have})`);
  }
  for (const v of t.requiresPythonViolations) lines.push(`${t.target}: ${v.filename} requires Python ${v.requiresPython}`);
  for (const i of t.invalid) lines.push(`${t.target}: ${i.neededBy.filename} has an invalid requirement '${i.requirement}'`);
  return lines;
}

interface ReleaseHead {
  name: string;
  created: string;
  base: string | null;
  indexUrl: string;
  newSigningKey: boolean;
}

async function publish(repo: Repository, head: ReleaseHead, selection: Selection, actor: Actor): Promise<ReleaseDetails> {
  // Every pinned file: approved, not yanked, nothing blocking.
  const allFiles = new Map<number, FileRecord>();
  for (const chosen of selection.values()) for (const f of chosen.values()) allFiles.set(f.id, f);
  // Waivers are judged now, whatever creation time the caller gave.
  const findings = await findingsOf(repo, [...allFiles.keys()], new Date().toISOString());
  const refusals: string[] = [];
  for (const f of [...allFiles.values()].sort((a, b) => (a.filename < b.filename ? -1 : 1))) {
    if (f.state !== 'approved') refusals.push(`${f.filename} is ${f.state}, not approved`);
    if (f.yanked) refusals.push(`${f.filename} is yanked`);
    for (const b of findings.get(f.id)?.blocking ?? []) {
      refusals.push(`${f.filename} has a blocking finding ${b.advisoryId}${b.score === null ? '' : ` (score ${b.score})`}`);
    }
  }
  // The pinned set alone must be closed: installed with --no-deps, nothing else comes along.
  for (const [target, chosen] of selection) {
    // Each pin is a candidate already chosen: like pip, which checks it with prereleases=True,
    // a pre-release pin satisfies `>=2` (the resolver picked it for `>=3.0rc1` elsewhere).
    const report = closureOfFiles([...chosen.values()], [target], { prereleases: true }).targets[0]!;
    if (!report.closed) refusals.push(...describeClosure(report));
    if (chosen.size === 0) refusals.push(`${target.name}: nothing to release (no requirement applies to this target)`);
  }
  if (refusals.length > 0) {
    throw new PyvetError('RELEASE_REFUSED', 'policy', `release ${head.name} refused:\n  ${refusals.join('\n  ')}`, {
      release: head.name,
      reasons: refusals,
    });
  }

  const documents: ReleaseDocument[] = [];
  const pins: ReleasePin[] = [];
  const manifestTargets: Record<string, ManifestTarget> = {};
  for (const [target, chosen] of selection) {
    const pinned = await pinnedFiles(repo, target, chosen, findings);
    const requirements = renderRequirements(head.name, head.created, head.indexUrl, target, pinned);
    const sbom = renderSbom(head.name, head.created, head.indexUrl, target, pinned);
    const req: ReleaseDocument = {
      path: requirementsPath(target.name),
      mediaType: 'text/plain; charset=utf-8',
      sha256: sha256Hex(requirements),
      content: requirements,
    };
    const cdx: ReleaseDocument = {
      path: sbomPath(target.name),
      mediaType: 'application/vnd.cyclonedx+json; version=1.6',
      sha256: sha256Hex(sbom),
      content: sbom,
    };
    documents.push(req, cdx);
    const sorted = [...pinned].sort((a, b) => (a.project < b.project ? -1 : 1));
    manifestTargets[target.name] = {
      description: target.description,
      environment: target.environment,
      requirements: { path: req.path, sha256: req.sha256 },
      sbom: { path: cdx.path, sha256: cdx.sha256 },
      files: sorted.map((p) => ({ project: p.project, version: p.version, filename: p.filename, sha256: p.sha256 })),
    };
    for (const p of sorted) {
      pins.push({ target: target.name, project: p.project, version: p.version, filename: p.filename, sha256: p.sha256, fileId: p.fileId });
    }
  }
  const manifest: Manifest = {
    schema: 'pyvet.release/1',
    name: head.name,
    created: head.created,
    base: head.base,
    index_url: head.indexUrl,
    targets: manifestTargets,
  };
  const manifestText = canonicalJson(manifest);
  // Releases signed here before, with no key files left: a new pair only when asked for.
  const signedBefore = (await repo.catalog.releaseSets.list()).length;
  const signature = signManifest(signingKey(repo, { signedBefore, newKey: head.newSigningKey }), manifestText);
  documents.push(
    { path: MANIFEST_PATH, mediaType: 'application/json', sha256: sha256Hex(manifestText), content: manifestText },
    { path: SIGNATURE_PATH, mediaType: 'text/plain; charset=utf-8', sha256: sha256Hex(signature), content: signature },
  );
  const record: ReleaseRecord = {
    name: head.name,
    createdAt: head.created,
    createdBy: actor.name,
    base: head.base,
    indexUrl: head.indexUrl,
    targets: [...selection.keys()].map((t) => t.name),
    manifestSha256: sha256Hex(manifestText),
  };
  await repo.catalog.transaction(async (tx) => {
    await tx.releaseSets.insert(record, documents, pins);
    await tx.audit.append({
      actor: actor.name,
      action: 'release.create',
      subject: head.name,
      details: {
        base: head.base,
        targets: record.targets,
        manifestSha256: record.manifestSha256,
        files: Object.fromEntries(Object.entries(manifestTargets).map(([t, m]) => [t, m.files.length])),
      },
    });
  });
  repo.logger.info({ release: head.name, targets: record.targets, by: actor.name }, 'release created');
  return {
    ...record,
    documents: documents.map(({ content: _c, ...d }) => d).sort((a, b) => (a.path < b.path ? -1 : 1)),
    // Just resolved from approved, unyanked files.
    pins: pins.map((p) => ({ ...p, state: 'approved' as const, yanked: false })),
  };
}

async function pinnedFiles(
  repo: Repository,
  target: Target,
  chosen: Map<string, FileRecord>,
  findings: Awaited<ReturnType<typeof findingsOf>>,
): Promise<PinnedFile[]> {
  const parsed = new Map<string, ParsedRequirement[]>();
  for (const [project, f] of chosen) {
    const list: ParsedRequirement[] = [];
    for (const text of f.requiresDist) {
      try {
        list.push(parseRequirement(text));
      } catch {
        // closure already refused broken metadata
      }
    }
    parsed.set(project, list);
  }
  // The extras each pin is needed with (acme-d[fast]), to a fixed point: a requirement under an
  // extra (acme-e; extra == "fast") is as much an edge of the graph as a plain one.
  const extrasOf = new Map<string, Set<string>>([...chosen.keys()].map((p) => [p, new Set<string>()]));
  const applies = (project: string, r: ParsedRequirement) =>
    markerApplies(r, target, '') || [...extrasOf.get(project)!].some((e) => markerApplies(r, target, e));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [project, reqs] of parsed) {
      for (const r of reqs) {
        const wanted = extrasOf.get(r.project);
        if (!wanted || !applies(project, r)) continue;
        for (const e of r.extras) {
          if (!wanted.has(e)) {
            wanted.add(e);
            changed = true;
          }
        }
      }
    }
  }
  const out: PinnedFile[] = [];
  for (const [project, f] of chosen) {
    const dependsOn = new Set<string>();
    for (const r of parsed.get(project)!) if (chosen.has(r.project) && r.project !== project && applies(project, r)) dependsOn.add(r.project);
    const proj = await repo.catalog.files.getProject(project);
    out.push({
      project,
      displayName: proj?.displayName ?? project,
      version: f.version,
      filename: f.filename,
      sha256: f.sha256,
      fileId: f.id,
      license: f.license,
      summary: f.summary,
      dependsOn: [...dependsOn].sort(),
      vulnerabilities: findings.get(f.id)?.all ?? [],
    });
  }
  return out;
}

export async function listReleases(repo: Repository): Promise<ReleaseSummary[]> {
  const out: ReleaseSummary[] = [];
  for (const r of await repo.catalog.releaseSets.list()) {
    const counts: Record<string, number> = {};
    for (const p of await repo.catalog.releaseSets.listPins(r.name)) counts[p.target] = (counts[p.target] ?? 0) + 1;
    out.push({ ...r, counts });
  }
  return out;
}

/** The newest release (by creation time, then name, as `list` orders them), which the `latest` alias names. */
export async function latestRelease(repo: Repository): Promise<ReleaseRecord | undefined> {
  return (await repo.catalog.releaseSets.list())[0];
}

/** Whether `name` is the `latest` alias (in any case, as names are refused in any case). */
export function isLatestAlias(name: string): boolean {
  return name.toLowerCase() === LATEST_ALIAS;
}

/** The release a name means: itself, or for the `latest` alias the newest release. */
export async function releaseNamed(repo: Repository, name: string): Promise<ReleaseRecord> {
  if (isLatestAlias(name)) {
    const newest = await latestRelease(repo);
    if (!newest) throw new PyvetError('RELEASE_NOT_FOUND', 'not_found', `'${name}' names the newest release, and there is no release yet`, { release: name });
    return newest;
  }
  const r = await repo.catalog.releaseSets.get(name);
  if (!r) throw notFound(name);
  return r;
}

export async function showRelease(repo: Repository, name: string): Promise<ReleaseDetails> {
  const r = await releaseNamed(repo, name);
  name = r.name;
  const pins = await repo.catalog.releaseSets.listPins(name);
  const files = new Map<number, FileRecord | undefined>();
  for (const p of pins) if (!files.has(p.fileId)) files.set(p.fileId, await repo.catalog.files.get(p.fileId));
  return {
    ...r,
    documents: await repo.catalog.releaseSets.listDocuments(name),
    pins: pins.map((p) => {
      const f = files.get(p.fileId);
      return { ...p, state: f?.state ?? 'gone', yanked: f?.yanked ?? false };
    }),
  };
}

/** One published document of a release (requirements file, SBOM, manifest, signature). */
export async function releaseDocument(repo: Repository, name: string, path: string): Promise<ReleaseDocument> {
  if (isLatestAlias(name)) name = (await releaseNamed(repo, name)).name;
  const d = await repo.catalog.releaseSets.getDocument(name, path);
  if (!d) {
    if (!(await repo.catalog.releaseSets.get(name))) throw notFound(name);
    throw new PyvetError('RELEASE_DOCUMENT_NOT_FOUND', 'not_found', `release ${name} has no ${path}`, { release: name, path });
  }
  return d;
}
