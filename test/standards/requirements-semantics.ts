import type { RequirementsFile } from '../../src/standards/requirements-file.js';

/** What must survive a requirements file's write/parse round trip. */
export function semantics(file: RequirementsFile): unknown {
  const { filename: _f, header: _h, preamble: _p, requirementFiles, constraintFiles, requirements, ...options } = file;
  return {
    options,
    includes: [requirementFiles.map((r) => r.path), constraintFiles.map((c) => c.path)],
    requirements: requirements.map((r) => ({
      text: r.text,
      name: r.name,
      requirement: r.requirement?.toString(),
      specifier: r.requirement?.specifier.toString(),
      marker: r.requirement?.marker?.toString(),
      url: r.url,
      urlMarker: r.urlMarker,
      editable: r.editable,
      hashes: r.hashes,
      configSettings: r.configSettings,
      globalOptions: r.globalOptions,
    })),
  };
}
