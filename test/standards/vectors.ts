// Where the PEP vector files are read from: the copied fixtures, or PYVET_PEP_VECTORS (a folder
// holding files of the same shape, e.g. a generated check set) when that is set.
import { join } from 'node:path';
import { fixture } from '../helpers/paths.js';

export function vectorFile(name: string): string {
  const dir = process.env.PYVET_PEP_VECTORS;
  return dir ? join(dir, name) : fixture('pep-vectors', name);
}
