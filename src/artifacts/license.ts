// The licence of a distribution as an SPDX expression where one can be derived, in PEP 639's
// order of authority: License-Expression, then the License field, then the licence
// classifiers; otherwise the License text as written. Vetting compares these against policy,
// so a mapping is only made when it is unambiguous ("BSD License" stays as written), deprecated
// SPDX ids become their current equivalents (a deny list naming GPL-3.0-only must catch
// "GPL-3.0"), and a License field the licence classifiers contradict is recorded as a conflict.
import type { CoreMetadata } from '../standards/metadata.js';
import { canonicalizeLicenseExpression } from '../standards/licenses.js';

// Free-text License values seen in practice, lower-cased, to their SPDX identifier.
const LICENSE_TEXT: Record<string, string> = {
  'expat license': 'MIT',
  'mit no attribution': 'MIT-0',
  apache2: 'Apache-2.0',
  'apache2.0': 'Apache-2.0',
  'apache 2.0 license': 'Apache-2.0',
  'apache license v2': 'Apache-2.0',
  'apache license v2.0': 'Apache-2.0',
  'revised bsd license': 'BSD-3-Clause',
  'bsd-3-clause license': 'BSD-3-Clause',
  'bsd 2-clause simplified': 'BSD-2-Clause',
  '2-clause bsd': 'BSD-2-Clause',
  '2-clause bsd license': 'BSD-2-Clause',
  psfl: 'PSF-2.0',
  wtfpl: 'WTFPL',
  'gpl v2': 'GPL-2.0-only',
  'gpl-2': 'GPL-2.0-only',
  'gpl 2': 'GPL-2.0-only',
  'gpl v2+': 'GPL-2.0-or-later',
  'gpl v3': 'GPL-3.0-only',
  'gpl-3': 'GPL-3.0-only',
  'gpl 3': 'GPL-3.0-only',
  gpl3: 'GPL-3.0-only',
  'gpl v3+': 'GPL-3.0-or-later',
  'gnu gpl v3': 'GPL-3.0-only',
  'gnu gplv3': 'GPL-3.0-only',
  'gnu gpl v2': 'GPL-2.0-only',
  'gnu gplv2': 'GPL-2.0-only',
  'gpl-3.0 license': 'GPL-3.0-only',
  'agpl v3': 'AGPL-3.0-only',
  agplv3: 'AGPL-3.0-only',
  'agplv3+': 'AGPL-3.0-or-later',
  'lgpl v2.1': 'LGPL-2.1-only',
  'lgpl-2.1 license': 'LGPL-2.1-only',
  lgplv2: 'LGPL-2.0-only',
  'lgplv2+': 'LGPL-2.0-or-later',
  'lgpl v3': 'LGPL-3.0-only',
  'lgpl-3': 'LGPL-3.0-only',
  'lgpl v3+': 'LGPL-3.0-or-later',
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
const CLASSIFIER_NAMES = new Map(
  Object.entries(CLASSIFIERS).map(([c, id]) => [c.split(' :: ').pop()!.toLowerCase(), id] as const),
);

// Licence texts pasted whole into the License field, recognised by a phrase only they contain.
const FULL_TEXTS: [RegExp, string][] = [
  [/Permission is hereby granted, free of charge, to any person obtaining a copy/i, 'MIT'],
  [/Apache License\s+Version 2\.0, January 2004/i, 'Apache-2.0'],
  [/Mozilla Public License,? version 2\.0/i, 'MPL-2.0'],
  [/Permission to use, copy, modify, and(\/or)? distribute this software for any\s+purpose with or without fee/i, 'ISC'],
];

// SPDX licence list 3.27 "Deprecated License Identifiers", lower-cased, to what replaces them.
// The bare GNU ids meant "this version only"; "-with-…-exception" ids became "… WITH exception".
const DEPRECATED: Record<string, string> = {
  'agpl-1.0': 'AGPL-1.0-only',
  'agpl-3.0': 'AGPL-3.0-only',
  'bsd-2-clause-freebsd': 'BSD-2-Clause-Views',
  'bsd-2-clause-netbsd': 'BSD-2-Clause',
  'bzip2-1.0.5': 'bzip2-1.0.6',
  'ecos-2.0': 'GPL-2.0-or-later WITH eCos-exception-2.0',
  'gfdl-1.1': 'GFDL-1.1-only',
  'gfdl-1.2': 'GFDL-1.2-only',
  'gfdl-1.3': 'GFDL-1.3-only',
  'gpl-1.0': 'GPL-1.0-only',
  'gpl-1.0+': 'GPL-1.0-or-later',
  'gpl-2.0': 'GPL-2.0-only',
  'gpl-2.0+': 'GPL-2.0-or-later',
  'gpl-2.0-with-autoconf-exception': 'GPL-2.0-only WITH Autoconf-exception-2.0',
  'gpl-2.0-with-bison-exception': 'GPL-2.0-only WITH Bison-exception-2.2',
  'gpl-2.0-with-classpath-exception': 'GPL-2.0-only WITH Classpath-exception-2.0',
  'gpl-2.0-with-font-exception': 'GPL-2.0-only WITH Font-exception-2.0',
  'gpl-2.0-with-gcc-exception': 'GPL-2.0-only WITH GCC-exception-2.0',
  'gpl-3.0': 'GPL-3.0-only',
  'gpl-3.0+': 'GPL-3.0-or-later',
  'gpl-3.0-with-autoconf-exception': 'GPL-3.0-only WITH Autoconf-exception-3.0',
  'gpl-3.0-with-gcc-exception': 'GPL-3.0-only WITH GCC-exception-3.1',
  'lgpl-2.0': 'LGPL-2.0-only',
  'lgpl-2.0+': 'LGPL-2.0-or-later',
  'lgpl-2.1': 'LGPL-2.1-only',
  'lgpl-2.1+': 'LGPL-2.1-or-later',
  'lgpl-3.0': 'LGPL-3.0-only',
  'lgpl-3.0+': 'LGPL-3.0-or-later',
  nunit: 'zlib-acknowledgement',
  'standardml-nj': 'SMLNJ',
  wxwindows: 'LGPL-2.0-or-later WITH WxWindows-exception-3.1',
};

/**
 * `text` as a canonical SPDX expression with deprecated ids replaced ('gpl-3.0 OR mit' →
 * 'GPL-3.0-only OR MIT'); undefined when it is not a valid SPDX expression.
 */
export function normalizeSpdx(text: string): string | undefined {
  let canon: string;
  try {
    canon = canonicalizeLicenseExpression(text.trim());
  } catch {
    return undefined;
  }
  return canon.replace(/[^\s()]+/g, (token) => {
    const current = DEPRECATED[token.toLowerCase()];
    if (current !== undefined) return current;
    // "GPL-2.0-only+" is a contradiction people write for "or later".
    const gnu = /^((?:A|L)?GPL-\d\.\d)-(?:only|or-later)\+$/.exec(token);
    return gnu ? `${gnu[1]}-or-later` : token;
  });
}

function fromText(text: string): string | undefined {
  const t = text.trim();
  const one = t.toLowerCase().replace(/\s+/g, ' ');
  if (LICENSE_TEXT[one] !== undefined) return LICENSE_TEXT[one];
  // A classifier's name written as the License ("GNU Lesser General Public License v3 or later (LGPLv3+)").
  if (CLASSIFIER_NAMES.has(one)) return CLASSIFIER_NAMES.get(one);
  if (!t.includes('\n') && t.length <= 200) {
    const id = normalizeSpdx(t);
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
  const expression = meta.licenseExpression?.trim();
  if (expression) return normalizeSpdx(expression) ?? expression;
  const text = meta.license?.trim();
  const usable = text && !/^(unknown|none|n\/a|-)$/i.test(text) ? text : undefined;
  const classified = fromClassifiers(meta.classifiers);
  if (usable !== undefined) {
    const id = fromText(usable);
    if (id !== undefined) {
      // "License: MIT" with a GPLv3 classifier: which one binds is for a person to decide.
      return classified !== undefined && disagree(id, classified) ? formatConflict(id, classified) : id;
    }
  }
  return classified ?? usable ?? classifiersAsWritten(meta.classifiers) ?? null;
}

/** The licence families an expression names: GPL-3.0-only, GPL-3.0-or-later and GPL-3.0+ are one. */
function families(expression: string): Set<string> {
  const ids = expression
    .replace(/\bWITH\s+[^\s()]+/g, '')
    .split(/[\s()]+/)
    .filter((t) => t !== '' && t !== 'AND' && t !== 'OR');
  return new Set(ids.map((id) => id.replace(/\+$/, '').replace(/-(only|or-later)$/, '').toLowerCase()));
}

/** The License field and the classifiers name no licence in common. */
function disagree(fromField: string, fromClassifiers: string): boolean {
  const a = families(fromField);
  return ![...families(fromClassifiers)].some((f) => a.has(f));
}

const CONFLICT = /^License field says (.+); classifiers say (.+)$/;

function formatConflict(field: string, classifiers: string): string {
  return `License field says ${field}; classifiers say ${classifiers}`;
}

/** A licence recorded as a conflict by deriveLicense, split into its two sides; null otherwise. */
export function parseLicenseConflict(license: string): { field: string; classifiers: string } | null {
  const m = CONFLICT.exec(license);
  return m ? { field: m[1]!, classifiers: m[2]! } : null;
}

// Names that say the family but not the version or variant: each is one of these ids, unknown which.
const BSD = ['0BSD', 'BSD-1-Clause', 'BSD-2-Clause', 'BSD-3-Clause', 'BSD-4-Clause'];
const gnu = (name: string, versions: string[]) => versions.flatMap((v) => [`${name}-${v}-only`, `${name}-${v}-or-later`]);
const GPL = gnu('GPL', ['1.0', '2.0', '3.0']);
const LGPL = gnu('LGPL', ['2.0', '2.1', '3.0']);
const AGPL = gnu('AGPL', ['1.0', '3.0']);
const FAMILIES: Record<string, string[]> = {
  bsd: BSD,
  'bsd license': BSD,
  'bsd-style': BSD,
  'bsd style': BSD,
  'bsd-like': BSD,
  gpl: GPL,
  'gpl license': GPL,
  'gnu gpl': GPL,
  'gnu general public license': GPL,
  'gnu general public license (gpl)': GPL,
  lgpl: LGPL,
  'lgpl license': LGPL,
  'gnu lgpl': LGPL,
  'gnu lesser general public license': LGPL,
  'gnu lesser general public license (lgpl)': LGPL,
  'gnu library or lesser general public license (lgpl)': LGPL,
  agpl: AGPL,
  'gnu affero general public license': AGPL,
};

/**
 * What a stored licence means for the policy: a normalised SPDX expression; the ids an
 * ambiguous family name ("BSD", "GNU General Public License (GPL)") may stand for; or neither.
 * Files ingested before a spelling was known are recognised here too.
 */
export function recognizeLicense(license: string): { expression: string } | { oneOf: string[] } | null {
  const expression = fromText(license);
  if (expression !== undefined) return { expression };
  const family = FAMILIES[license.trim().toLowerCase().replace(/\s+/g, ' ')];
  return family ? { oneOf: family } : null;
}

/** Licence classifiers none of which maps unambiguously, by name as declared ("BSD License"), never an SPDX id. */
function classifiersAsWritten(classifiers: string[]): string | undefined {
  const names = classifiers.filter((c) => c.startsWith('License :: ')).map((c) => c.split(' :: ').pop()!.trim());
  return names.length === 0 ? undefined : [...new Set(names)].join(', ');
}
