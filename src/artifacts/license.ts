// The licence of a distribution as an SPDX expression where one can be derived, in PEP 639's
// order of authority: License-Expression, then the License field, then the licence
// classifiers; otherwise the License text as written. Vetting compares these against policy,
// so a mapping is only made when it is unambiguous ("BSD License" stays as written).
import type { CoreMetadata } from '../standards/metadata.js';
import { canonicalizeLicenseExpression } from '../standards/licenses.js';

// Free-text License values seen in practice, lower-cased, to their SPDX identifier.
const LICENSE_TEXT: Record<string, string> = {
  mit: 'MIT',
  'mit license': 'MIT',
  'the mit license': 'MIT',
  'mit-0': 'MIT-0',
  'apache 2': 'Apache-2.0',
  'apache 2.0': 'Apache-2.0',
  'apache-2': 'Apache-2.0',
  'apache license 2.0': 'Apache-2.0',
  'apache license, version 2.0': 'Apache-2.0',
  'apache license version 2.0': 'Apache-2.0',
  'apache software license': 'Apache-2.0',
  'apache software license 2.0': 'Apache-2.0',
  'apache software license, version 2.0': 'Apache-2.0',
  'bsd-3': 'BSD-3-Clause',
  'bsd 3-clause': 'BSD-3-Clause',
  'bsd 3-clause license': 'BSD-3-Clause',
  '3-clause bsd': 'BSD-3-Clause',
  '3-clause bsd license': 'BSD-3-Clause',
  'new bsd': 'BSD-3-Clause',
  'new bsd license': 'BSD-3-Clause',
  'modified bsd': 'BSD-3-Clause',
  'bsd 2-clause': 'BSD-2-Clause',
  'bsd 2-clause license': 'BSD-2-Clause',
  'simplified bsd': 'BSD-2-Clause',
  isc: 'ISC',
  'isc license': 'ISC',
  'mpl 2.0': 'MPL-2.0',
  'mozilla public license 2.0': 'MPL-2.0',
  'mozilla public license 2.0 (mpl 2.0)': 'MPL-2.0',
  psf: 'PSF-2.0',
  'psf license': 'PSF-2.0',
  'python software foundation license': 'PSF-2.0',
  gplv2: 'GPL-2.0-only',
  'gplv2+': 'GPL-2.0-or-later',
  gplv3: 'GPL-3.0-only',
  'gplv3+': 'GPL-3.0-or-later',
  lgplv3: 'LGPL-3.0-only',
  'lgplv3+': 'LGPL-3.0-or-later',
  unlicense: 'Unlicense',
  'the unlicense': 'Unlicense',
  zpl: 'ZPL-2.1',
  'zpl 2.1': 'ZPL-2.1',
  'zope public license': 'ZPL-2.1',
};

// Trove licence classifiers (the part after "License :: ") to SPDX, where unambiguous.
const CLASSIFIERS: Record<string, string> = {
  'OSI Approved :: MIT License': 'MIT',
  'OSI Approved :: MIT No Attribution License (MIT-0)': 'MIT-0',
  'OSI Approved :: Apache Software License': 'Apache-2.0',
  // Not 'OSI Approved :: BSD License': 0BSD, 2-, 3- and 4-clause BSD all use it (it stays as written).
  'OSI Approved :: ISC License (ISCL)': 'ISC',
  'OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)': 'MPL-2.0',
  'OSI Approved :: Python Software Foundation License': 'PSF-2.0',
  'OSI Approved :: GNU General Public License v2 (GPLv2)': 'GPL-2.0-only',
  'OSI Approved :: GNU General Public License v2 or later (GPLv2+)': 'GPL-2.0-or-later',
  'OSI Approved :: GNU General Public License v3 (GPLv3)': 'GPL-3.0-only',
  'OSI Approved :: GNU General Public License v3 or later (GPLv3+)': 'GPL-3.0-or-later',
  'OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)': 'LGPL-2.0-only',
  'OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)': 'LGPL-2.0-or-later',
  'OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)': 'LGPL-3.0-only',
  'OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)': 'LGPL-3.0-or-later',
  'OSI Approved :: GNU Affero General Public License v3': 'AGPL-3.0-only',
  'OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)': 'AGPL-3.0-or-later',
  'OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)': 'EPL-2.0',
  'OSI Approved :: The Unlicense (Unlicense)': 'Unlicense',
  'OSI Approved :: Zope Public License': 'ZPL-2.1',
  'OSI Approved :: Boost Software License 1.0 (BSL-1.0)': 'BSL-1.0',
  'OSI Approved :: Universal Permissive License (UPL)': 'UPL-1.0',
  'OSI Approved :: zlib/libpng License': 'Zlib',
  'OSI Approved :: Academic Free License (AFL)': 'AFL-3.0',
  'OSI Approved :: Artistic License': 'Artistic-2.0',
  'CC0 1.0 Universal (CC0 1.0) Public Domain Dedication': 'CC0-1.0',
};

// Licence texts pasted whole into the License field, recognised by a phrase only they contain.
const FULL_TEXTS: [RegExp, string][] = [
  [/Permission is hereby granted, free of charge, to any person obtaining a copy/i, 'MIT'],
  [/Apache License\s+Version 2\.0, January 2004/i, 'Apache-2.0'],
  [/Mozilla Public License,? version 2\.0/i, 'MPL-2.0'],
  [/Permission to use, copy, modify, and(\/or)? distribute this software for any\s+purpose with or without fee/i, 'ISC'],
];

function spdx(text: string): string | undefined {
  try {
    return canonicalizeLicenseExpression(text);
  } catch {
    return undefined;
  }
}

function fromText(text: string): string | undefined {
  const t = text.trim();
  const one = t.toLowerCase().replace(/\s+/g, ' ');
  if (LICENSE_TEXT[one] !== undefined) return LICENSE_TEXT[one];
  if (!t.includes('\n') && t.length <= 200) {
    const id = spdx(t);
    if (id !== undefined) return id;
  }
  for (const [pattern, id] of FULL_TEXTS) if (pattern.test(t)) return id;
  if (/Redistribution and use in source and binary forms/i.test(t)) {
    return /Neither the name/i.test(t) ? 'BSD-3-Clause' : 'BSD-2-Clause';
  }
  return undefined;
}

function fromClassifiers(classifiers: string[]): string | undefined {
  const ids: string[] = [];
  for (const c of classifiers) {
    if (!c.startsWith('License :: ')) continue;
    const id = CLASSIFIERS[c.slice('License :: '.length).trim()];
    if (id === undefined) return undefined;
    if (!ids.includes(id)) ids.push(id);
  }
  // Several licence classifiers mean "pick one": PEP 639 writes that as OR.
  return ids.length === 0 ? undefined : ids.join(' OR ');
}

export function deriveLicense(meta: CoreMetadata): string | null {
  if (meta.licenseExpression?.trim()) return meta.licenseExpression.trim();
  const text = meta.license?.trim();
  const usable = text && !/^(unknown|none|n\/a|-)$/i.test(text) ? text : undefined;
  if (usable !== undefined) {
    const id = fromText(usable);
    if (id !== undefined) return id;
  }
  return fromClassifiers(meta.classifiers) ?? usable ?? classifiersAsWritten(meta.classifiers) ?? null;
}

/** Licence classifiers none of which maps unambiguously, by name as declared ("BSD License"), never an SPDX id. */
function classifiersAsWritten(classifiers: string[]): string | undefined {
  const names = classifiers.filter((c) => c.startsWith('License :: ')).map((c) => c.split(' :: ').pop()!.trim());
  return names.length === 0 ? undefined : [...new Set(names)].join(', ');
}
