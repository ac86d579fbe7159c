// Where each project comes from: the preferred upstream (by priority) that is allowed to supply
// it and has it, and never a mix. Owned names are refused before any upstream is asked, so the
// dependency-confusion guard holds for mirroring, currency checks and upgrade plans alike.
import { PyvetError } from '../errors.js';
import type { Repository } from '../repository/types.js';
import { parseDistributionFilename } from '../standards/filenames.js';
import type { Version } from '../standards/version.js';
import type { TransferOptions } from './http.js';
import { fetchProjectPage, type UpstreamFile } from './simple-client.js';
import { adHocUpstream, listUpstreams, mayIncludeProject, redactTypedUrl, type Upstream, upstreamCredentials } from './upstreams.js';

export interface UpstreamCandidate {
  file: UpstreamFile;
  version: Version;
  versionText: string;
  /** Expanded wheel tags; [] for an sdist. */
  tags: string[];
  kind: 'wheel' | 'sdist';
}

export interface ProjectSource {
  upstream: Upstream;
  candidates: UpstreamCandidate[];
  /** Versions with an sdist left out because the policy does not allow sdists (allow_sdists). */
  sdistOnlyByPolicy: string[];
}

export interface Refusal {
  project: string;
  code: string;
  reason: string;
}

export function transferOptions(repo: Repository): TransferOptions {
  return { retries: repo.config.mirror.retries, timeoutMs: repo.config.mirror.timeout_ms };
}

/** The upstreams a run may use: the one named by `from` (a name or a URL), else all by priority. */
export async function chooseUpstreams(repo: Repository, from: string | undefined): Promise<Upstream[]> {
  const all = await listUpstreams(repo);
  if (from) {
    const named = all.find((u) => u.name === from);
    if (named) return [named];
    if (/^(https?|file):/i.test(from)) return [adHocUpstream(from)];
    // Not echoed as typed: a mistyped URL may carry a password.
    throw new PyvetError('UPSTREAM_NOT_FOUND', 'not_found', `no upstream named '${redactTypedUrl(from)}' (see \`pyvet upstream list\`)`);
  }
  if (all.length === 0) {
    throw new PyvetError(
      'NO_UPSTREAM',
      'invalid',
      'no upstream is configured: add one with `pyvet upstream add NAME URL`, or pass --from URL',
    );
  }
  return all;
}

export class UpstreamSources {
  readonly refused: Refusal[] = [];
  readonly refusedProjects = new Set<string>();
  private readonly pages = new Map<string, Promise<ProjectSource | null>>();

  constructor(
    private readonly repo: Repository,
    private readonly upstreams: Upstream[],
    private readonly opts: { isOwned: (project: string) => boolean; allowSdists: boolean; transfer: TransferOptions },
  ) {}

  /** The project's source, fetched once per run; null when refused or no upstream has it. */
  get(project: string): Promise<ProjectSource | null> {
    let p = this.pages.get(project);
    if (!p) {
      p = this.load(project);
      this.pages.set(project, p);
    }
    return p;
  }

  /** Refuses a project for the run (reported once among the refusals), for reasons decided elsewhere. */
  refuseProject(project: string, code: string, reason: string): null {
    return this.refuse(project, code, reason);
  }

  private refuse(project: string, code: string, reason: string): null {
    if (!this.refusedProjects.has(project)) {
      this.refusedProjects.add(project);
      this.refused.push({ project, code, reason });
      // Info, not a warning: every caller reports its refusals to the operator itself.
      this.repo.logger.info({ project, code }, reason);
    }
    return null;
  }

  private async load(project: string): Promise<ProjectSource | null> {
    if (this.opts.isOwned(project)) {
      // Dependency confusion: the company's own names are never looked up outside.
      return this.refuse(project, 'OWNED_NAME', `${project} matches an owned name pattern: it is never fetched from an upstream`);
    }
    const allowed = this.upstreams.filter((u) => mayIncludeProject(u, project));
    if (allowed.length === 0) return this.refuse(project, 'UPSTREAM_NOT_ALLOWED', `no upstream is allowed to supply ${project}`);
    for (const u of allowed) {
      const page = await fetchProjectPage(u.url, project, { ...this.opts.transfer, credentials: upstreamCredentials(u) });
      if (page) return { upstream: u, ...candidatesOf(project, page.files, this.opts.allowSdists) };
    }
    return null;
  }
}

function candidatesOf(project: string, files: UpstreamFile[], allowSdists: boolean): Omit<ProjectSource, 'upstream'> {
  const out: UpstreamCandidate[] = [];
  const sdists = new Set<string>();
  for (const file of files) {
    try {
      const d = parseDistributionFilename(file.filename);
      // An index may list stray files; only the project's own distributions count.
      if (d.name !== project) continue;
      if (d.kind === 'sdist' && !allowSdists) {
        sdists.add(d.version.toString());
        continue;
      }
      out.push({
        file,
        version: d.version,
        versionText: d.version.toString(),
        tags: d.kind === 'wheel' ? d.tags.map(String) : [],
        kind: d.kind,
      });
    } catch {
      // Unparseable filenames (eggs, .exe installers, junk) are never mirrored.
    }
  }
  return { candidates: out, sdistOnlyByPolicy: [...sdists] };
}
