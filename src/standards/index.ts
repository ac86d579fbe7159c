// pyvet/standards: the Python packaging standards as pure functions, no I/O (like pypa/packaging).
// Public contract: Version, SpecifierSet, Marker, Requirement, canonicalizeName,
// parseWheelFilename, parseCoreMetadata, parseRequirementsFile and their typed errors. Helpers
// the modules share (the version scanner, exact integers, Python's whitespace) stay internal.
export * from './filenames.js';
export * from './licenses.js';
export * from './markers.js';
export * from './metadata.js';
export * from './names.js';
export * from './requirements.js';
export * from './requirements-file.js';
export * from './specifiers.js';
export {
  AppleVersion,
  androidPlatforms,
  bestRank,
  compatibleTags,
  compressedTagRank,
  cpythonAbis,
  cpythonTags,
  createCompatibleTagsSelector,
  genericTags,
  InterpreterDescription,
  InvalidTag,
  iosPlatforms,
  LibcVersion,
  LinuxSystem,
  linuxPlatforms,
  macPlatforms,
  manylinuxPlatforms,
  musllinuxPlatforms,
  PythonVersion,
  parseTag,
  selectBestWheel,
  sysTags,
  Tag,
  TagRanks,
  TargetTags,
  tagRanks,
  targetTags,
  UnsortedTagsError,
} from './tags.js';
export { canonicalizeVersion, InvalidVersion, type PreReleaseLetter, Version, type VersionParts } from './version.js';
