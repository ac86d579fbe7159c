"""Peer of bench/scan.bench.ts: the same OSV matching with pypa/packaging, on the same inputs.

Usage: python3 scan_peer.py <advisories.jsonl.gz> <files.tsv> <rounds>
Prints one JSON object: best CPU seconds of building the index (parsing every bound and listed
version once) and of matching every file, and the number of (file, advisory) findings, which
must equal pyvet's.

The matcher is what a careful Python implementation of the OSV rules looks like: advisories
grouped by normalized name, bounds parsed once, `versions` as a set of Version (hashed by
PEP 440 equality), each ECOSYSTEM range walked with sorted events.
"""

import gzip
import json
import re
import sys
import time

from packaging.version import InvalidVersion, Version

ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}


def canon(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(v):
    try:
        return Version(v)
    except InvalidVersion:
        return None


def compile_range(events):
    limits, walk = [], []
    for e in events:
        kind, raw = next(iter(e.items()))
        if kind == "limit":
            if raw != "*" and parse(raw) is not None:
                limits.append(parse(raw))
        elif kind == "introduced" and raw == "0":
            walk.append((0, None, kind))
        elif kind in ORDER and parse(raw) is not None:
            walk.append((1, parse(raw), kind))
    walk.sort(key=lambda t: (t[0], t[1] if t[1] is not None else Version("0"), ORDER[t[2]]))
    return limits, [(v, kind) for _, v, kind in walk]


def in_range(version, compiled):
    limits, walk = compiled
    if limits and not any(version < x for x in limits):
        return False
    affected = False
    for v, kind in walk:
        if kind == "introduced":
            if v is None or version >= v:
                affected = True
        elif kind == "fixed":
            if version >= v:
                affected = False
        elif version > v:
            affected = False
    return affected


def build(records):
    index = {}
    for rec in records:
        if rec.get("withdrawn"):
            continue
        for entry in rec.get("affected", []):
            pkg = entry.get("package", {})
            if pkg.get("ecosystem") != "PyPI":
                continue
            listed = [parse(v) for v in entry.get("versions", [])]
            ranges = [compile_range(r["events"]) for r in entry.get("ranges", []) if r.get("type") == "ECOSYSTEM"]
            raw = {t for t, v in zip(entry.get("versions", []), listed) if v is None}
            index.setdefault(canon(pkg["name"]), []).append(
                (rec["id"], {v for v in listed if v is not None}, raw, ranges)
            )
    return index


def match(index, files):
    findings = 0
    for project, text in files:
        entries = index.get(project)
        if not entries:
            continue
        version = parse(text)
        hits = set()
        for adv_id, listed, raw, ranges in entries:
            if adv_id in hits:
                continue
            if text in raw or (version is not None and (version in listed or any(in_range(version, r) for r in ranges))):
                hits.add(adv_id)
        findings += len(hits)
    return findings


def main():
    adv_path, files_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with gzip.open(adv_path, "rt") as f:
        records = [json.loads(line) for line in f if line.strip()]
    with open(files_path) as f:
        files = [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]
    best_build = best_match = float("inf")
    findings = 0
    for _ in range(rounds):
        parse.__dict__.clear()
        c = time.process_time()
        index = build(records)
        best_build = min(best_build, time.process_time() - c)
        c = time.process_time()
        findings = match(index, files)
        best_match = min(best_match, time.process_time() - c)
    print(json.dumps({"build": best_build, "match": best_match, "findings": findings, "files": len(files)}))


if __name__ == "__main__":
    main()
