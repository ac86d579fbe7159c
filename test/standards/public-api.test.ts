// The package's public entry point, `pyvet/standards`, resolved by name as a library user would:
// the documented contract is there, the helpers the modules share are not.
import assert from 'node:assert/strict';
import { test } from 'node:test';

test('pyvet/standards exports the contract and keeps its internals', async () => {
  const api = (await import('pyvet/standards')) as Record<string, unknown>;
  for (const name of [
    'Version',
    'InvalidVersion',
    'canonicalizeVersion',
    'Specifier',
    'SpecifierSet',
    'Marker',
    'Requirement',
    'canonicalizeName',
    'parseWheelFilename',
    'parseSdistFilename',
    'parseCoreMetadata',
    'parseRequirementsFile',
    'writeRequirementsFile',
    'Tag',
    'sysTags',
    'selectBestWheel',
    'canonicalizeLicenseExpression',
  ]) {
    assert.ok(api[name] !== undefined, `${name} is exported`);
  }
  for (const name of ['pyStrip', 'isPyWhitespace', 'scanVersion', 'parseNum', 'toNum', 'incNum', 'comparePublic', 'compareCodePoints']) {
    assert.equal(api[name], undefined, `${name} stays internal`);
  }
  const { Version, SpecifierSet } = api as {
    Version: { parse(s: string): { toString(): string } };
    SpecifierSet: { parse(s: string): { contains(v: string): boolean } };
  };
  assert.equal(Version.parse('1.0RC1').toString(), '1.0rc1');
  assert.equal(SpecifierSet.parse('>=1,<2').contains('1.5'), true);
});
