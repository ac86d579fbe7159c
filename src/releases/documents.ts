// The documents a release publishes, rendered from its inputs only (no clock, no randomness) so
// that the same inputs give the same bytes: the hash-pinned requirements file of each target in
// the toolkit's published format, a CycloneDX 1.6 SBOM per target, and the manifest.
import { createHash } from 'node:crypto';
import type { Target } from '../resolve/targets.js';
import { canonicalizeLicenseExpression } from '../standards/licenses.js';
import { Requirement } from '../standards/requirements.js';
import { type RequirementsFile, writeRequirementsFile } from '../standards/requirements-file.js';
import type { Finding } from '../vetting/types.js';

/** One pinned file of a target, with what the SBOM needs to say about it. */
export interface PinnedFile {
  project: string;
  /** The name as its metadata writes it (e.g. 'PyYAML'). */
  displayName: string;
  version: string;
  filename: string;
  sha256: string;
  fileId: number;
  license: string | null;
  summary: string | null;
  /** Projects (normalized) among the pins this file depends on, on this target. */
  dependsOn: string[];
  /** Known advisories matching this file, with their waiver if one lets them through. */
  vulnerabilities: PinnedFinding[];
}

export interface PinnedFinding {
  finding: Finding;
  waiver: { reason: string; expiresAt: string; grantedBy: string } | null;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted at every level, 2-space indented, newline-terminated. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function requirementsPath(target: string): string {
  return `${target}.txt`;
}

export function sbomPath(target: string): string {
  return `${target}.cdx.json`;
}

export const MANIFEST_PATH = 'manifest.json';
export const SIGNATURE_PATH = 'manifest.json.sig';

/** The toolkit's published format: header, pip options, a note naming the target, sorted pins. */
export function renderRequirements(release: string, created: string, indexUrl: string, target: Target, pins: PinnedFile[]): string {
  const url = new URL(indexUrl);
  const file: RequirementsFile = {
    filename: undefined,
    header: [
      '#####',
      '#',
      `# pyvet release ${release} for ${target.name}`,
      `# ${target.description}`,
      '#',
      '# Every file below was vetted and approved; pip checks each hash.',
      '#',
      '# Example use:  pip install --no-deps -r <this file>',
      '#',
      '# pip command options:',
    ],
    preamble: ['#', `# This requirements file was generated for a ${target.name} environment on ${created}.`, '#'],
    indexUrl,
    extraIndexUrls: [],
    noIndex: false,
    findLinks: [],
    trustedHosts: url.protocol === 'http:' ? [url.hostname] : [],
    requireHashes: true,
    pre: false,
    preferBinary: false,
    onlyBinary: [':all:'],
    noBinary: [],
    useFeatures: [],
    requirementFiles: [],
    constraintFiles: [],
    requirements: [...pins]
      .sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0))
      .map((p, i) => {
        const text = `${p.project}==${p.version}`;
        return {
          line: i + 1,
          text,
          requirement: Requirement.parse(text),
          name: p.project,
          url: undefined,
          urlMarker: undefined,
          editable: false,
          hashes: [`sha256:${p.sha256}`],
          configSettings: [],
          globalOptions: [],
        };
      }),
  };
  return writeRequirementsFile(file);
}

/** purl of a file on PyPI-like indexes (purl spec: name lowercased with '_' → '-'). */
export function purlOf(p: Pick<PinnedFile, 'project' | 'version' | 'filename'>): string {
  return `pkg:pypi/${p.project}@${encodeURIComponent(p.version)}?file_name=${encodeURIComponent(p.filename)}`;
}

function licensesOf(license: string | null): unknown[] | undefined {
  if (!license) return undefined;
  try {
    const expression = canonicalizeLicenseExpression(license);
    // A single SPDX id is the `license.id` form; compound expressions use `expression`.
    return /^[A-Za-z0-9.-]+$/.test(expression) && !expression.startsWith('LicenseRef-')
      ? [{ license: { id: expression } }]
      : [{ expression }];
  } catch {
    return [{ license: { name: license } }];
  }
}

/** A UUID (RFC 9562 version 8, "custom") derived from content, so serial numbers are reproducible. */
export function contentUuid(hex: string): string {
  const b = Buffer.from(hex.slice(0, 32), 'hex');
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * CycloneDX 1.6 JSON. Vulnerability analysis: a waived finding is `exploitable` with response
 * `will_not_fix` (the risk was accepted, with the waiver's reason and expiry as detail); a finding
 * below the policy bar is `in_triage`. Nothing blocking can be here: such a release is refused.
 */
export function renderSbom(
  release: string,
  created: string,
  indexUrl: string,
  target: Target,
  pins: PinnedFile[],
): string {
  const sorted = [...pins].sort((a, b) => (a.project < b.project ? -1 : a.project > b.project ? 1 : 0));
  const base = indexUrl.replace(/\/simple\/?$/, '');
  const refOf = new Map(sorted.map((p) => [p.project, purlOf(p)]));
  const rootRef = `pyvet-release:${release}/${target.name}`;
  const components = sorted.map((p) => ({
    type: 'library',
    'bom-ref': refOf.get(p.project),
    name: p.displayName,
    version: p.version,
    description: p.summary ?? undefined,
    purl: refOf.get(p.project),
    hashes: [{ alg: 'SHA-256', content: p.sha256 }],
    licenses: licensesOf(p.license),
    externalReferences: [
      {
        type: 'distribution',
        url: `${base}/files/${p.sha256.slice(0, 2)}/${p.sha256.slice(2, 4)}/${p.sha256}/${encodeURIComponent(p.filename)}`,
        hashes: [{ alg: 'SHA-256', content: p.sha256 }],
      },
    ],
  }));
  const dependencies = [
    { ref: rootRef, dependsOn: sorted.map((p) => refOf.get(p.project)!) },
    ...sorted.map((p) => ({
      ref: refOf.get(p.project)!,
      dependsOn: p.dependsOn.flatMap((d) => (refOf.has(d) ? [refOf.get(d)!] : [])).sort(),
    })),
  ];
  const vulnerabilities = sorted.flatMap((p) =>
    p.vulnerabilities.map(({ finding: f, waiver }) => ({
      'bom-ref': `${f.advisoryId}/${refOf.get(p.project)}`,
      id: f.advisoryId,
      source: { name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(f.advisoryId)}` },
      references: f.aliases.map((a) => ({ id: a, source: { name: aliasSource(a) } })),
      ratings:
        f.score === null && f.severity === null
          ? undefined
          : [{ score: f.score ?? undefined, severity: f.severity ?? 'unknown', method: 'other' }],
      description: f.summary ?? undefined,
      recommendation: f.fixed.length > 0 ? `Upgrade to ${f.fixed.join(' or ')}` : undefined,
      analysis: waiver
        ? {
            state: 'exploitable',
            response: ['will_not_fix'],
            detail: `Risk accepted by ${waiver.grantedBy} until ${waiver.expiresAt}: ${waiver.reason}`,
          }
        : { state: 'in_triage', detail: 'Below the policy bar that blocks a file.' },
      affects: [{ ref: refOf.get(p.project) }],
    })),
  );
  const body = {
    $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: '',
    version: 1,
    metadata: {
      timestamp: created,
      tools: { components: [{ type: 'application', name: 'pyvet' }] },
      component: {
        type: 'application',
        'bom-ref': rootRef,
        name: `${release} (${target.name})`,
        version: release,
        description: target.description,
      },
      properties: [
        { name: 'pyvet:release', value: release },
        { name: 'pyvet:target', value: target.name },
        { name: 'pyvet:index-url', value: indexUrl },
      ],
    },
    components,
    dependencies,
    vulnerabilities: vulnerabilities.length > 0 ? vulnerabilities : undefined,
  };
  body.serialNumber = `urn:uuid:${contentUuid(sha256Hex(canonicalJson(body)))}`;
  return canonicalJson(body);
}

function aliasSource(alias: string): string {
  if (alias.startsWith('CVE-')) return 'NVD';
  if (alias.startsWith('GHSA-')) return 'GitHub';
  if (alias.startsWith('PYSEC-')) return 'PyPA';
  return 'OSV';
}

export interface ManifestTarget {
  environment: Target['environment'];
  description: string;
  requirements: { path: string; sha256: string };
  sbom: { path: string; sha256: string };
  files: { project: string; version: string; filename: string; sha256: string }[];
}

export interface Manifest {
  schema: 'pyvet.release/1';
  name: string;
  created: string;
  base: string | null;
  index_url: string;
  targets: Record<string, ManifestTarget>;
}
