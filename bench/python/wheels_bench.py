"""Peer of bench/wheels.bench.ts: the same work with pypa/packaging, on the same inputs.

Usage: python3 wheels_bench.py <inputs.json>  -> prints one JSON object of seconds per workload
(best of the same number of runs as the Node side) and check values that must agree with it.
"""

import json
import sys
import time

import packaging
from packaging.metadata import ExceptionGroup, Metadata, parse_email
from packaging.tags import Tag, create_compatible_tags_selector, parse_tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

REPEAT = {"parseWheel": 2, "select": 2, "metadata": 1}


def best(name, fn):
    result, seconds = None, float("inf")
    for _ in range(REPEAT[name]):
        t = time.perf_counter()
        result = fn()
        seconds = min(seconds, time.perf_counter() - t)
    return seconds, result


def parse_all(filenames):
    valid = tags = 0
    for f in filenames:
        try:
            _, _, _, ts = parse_wheel_filename(f)
        except InvalidWheelFilename:
            continue
        valid += 1
        tags += len(ts)
    return [valid, tags]


def select_all(groups, supported):
    selector = create_compatible_tags_selector(
        Tag(*t.split("-")) for t in supported
    )
    chosen = 0
    for group in groups:
        best_name = next(
            iter(selector((f, parse_tag("-".join(f[:-4].split("-")[-3:]))) for f in group)),
            None,
        )
        if best_name is not None:
            chosen += group.index(best_name) + 1
    return chosen


def parse_metadata(texts):
    with_problems = 0
    for text in texts:
        raw, unparsed = parse_email(text)
        try:
            Metadata.from_raw(raw, validate=True)
            bad = bool(unparsed)
        except ExceptionGroup:
            bad = True
        with_problems += bad
    return with_problems


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        inputs = json.load(f)
    out = {"packaging": packaging.__version__, "python": sys.version.split()[0]}
    out["parseWheel"], out["parseCheck"] = best("parseWheel", lambda: parse_all(inputs["filenames"]))
    out["select"], out["selectCheck"] = best(
        "select", lambda: select_all(inputs["groups"], inputs["supported"])
    )
    out["metadata"], out["metadataCheck"] = best("metadata", lambda: parse_metadata(inputs["metadata"]))
    json.dump(out, sys.stdout)


main()
