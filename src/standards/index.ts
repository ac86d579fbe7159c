// pyvet/standards: the Python packaging standards as pure functions, no I/O (like pypa/packaging).
// Public contract: Version, SpecifierSet, Marker, Requirement, canonicalizeName,
// parseWheelFilename, parseCoreMetadata, parseRequirementsFile and their typed errors.
export * from './filenames.js';
export * from './licenses.js';
export * from './markers.js';
export * from './metadata.js';
export * from './names.js';
export * from './requirements.js';
export * from './requirements-file.js';
export * from './specifiers.js';
export * from './tags.js';
export * from './version.js';
