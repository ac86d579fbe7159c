"""Peer of bench/standards.bench.ts: the same work with pypa/packaging, on the same inputs.

Usage: python3 standards_bench.py <inputs.json>  -> prints one JSON object of seconds per workload
(best of the same number of runs as the Node side, wall clock and, as <name>Cpu, process CPU time) and check values that must agree with it.
"""

import json
import sys
import time
from itertools import islice

import packaging
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPEAT = {"parse": 2, "compare": 3, "containsText": 1, "containsVersion": 1, "sort": 2}


CPU = {}


def best(name, fn):
    """Best wall-clock seconds of REPEAT[name] runs; the best CPU seconds go to CPU[name]."""
    result, seconds, cpu = None, float("inf"), float("inf")
    for _ in range(REPEAT[name]):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        seconds = min(seconds, time.perf_counter() - t)
        cpu = min(cpu, time.process_time() - c)
    CPU[name] = cpu
    return seconds, result


def count_less(parsed):
    less = 0
    for k in (1, 2, 3):
        for a, b in zip(parsed, islice(parsed, k, None)):
            if a < b:
                less += 1
    return less


def count_contains(sets, items):
    hits = 0
    for s, v in zip(sets, items):
        if s.contains(v):
            hits += 1
    return hits


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        inp = json.load(f)
    texts = inp["versions"]
    sets = [SpecifierSet(s) for s in inp["specifiers"]]
    set_of = [sets[i] for i in inp["checkSet"]]
    check_text = [texts[i] for i in inp["checkVersion"]]

    # warm-up, as the Node side does
    for s, v in zip(set_of[:10000], texts[:10000]):
        s.contains(Version(v))

    out = {"packaging": packaging.__version__, "python": sys.version.split()[0]}
    out["parse"], parsed = best("parse", lambda: [Version(s) for s in texts])
    out["compare"], out["compareLess"] = best("compare", lambda: count_less(parsed))
    out["containsText"], out["containsTextHits"] = best("containsText", lambda: count_contains(set_of, check_text))
    check_parsed = [parsed[i] for i in inp["checkVersion"]]
    out["containsVersion"], out["containsVersionHits"] = best(
        "containsVersion", lambda: count_contains(set_of, check_parsed)
    )
    sort_input = parsed[: inp["sortCount"]]
    out["sort"], ordered = best("sort", lambda: sorted(sort_input))
    out["sortFirstLast"] = [str(ordered[0]), str(ordered[-1])]
    out.update({f"{k}Cpu": v for k, v in CPU.items()})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
