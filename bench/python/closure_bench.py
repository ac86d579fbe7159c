# Peer of bench/closure.bench.ts: the same closure check written plainly with pypa/packaging, on
# the same rows and targets (JSON on stdin): per target, best wheel per release by tag rank,
# Requires-Python, then every Requires-Dist (markers for the target, extra='') must be
# satisfiable by an installable version. Prints {"seconds", "problems": [count per target]}.
import json
import sys
import time

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

data = json.load(sys.stdin)
rows, targets = data["rows"], data["targets"]
start = time.perf_counter()
cpu = time.process_time()
problems = []
for t in targets:
    ranks = {tag: i for i, tag in enumerate(t["tags"])}
    env = dict(t["environment"], extra="")
    best = {}
    for r in rows:
        rank = min((ranks[x] for x in r["tags"] if x in ranks), default=None)
        if rank is None:
            continue
        if r["requiresPython"] and not SpecifierSet(r["requiresPython"]).contains(env["python_full_version"], prereleases=True):
            continue
        key = (r["project"], r["version"])
        if key not in best or rank < best[key][0]:
            best[key] = (rank, r)
    versions = {}
    for (project, version) in best:
        versions.setdefault(project, []).append(Version(version))
    count = 0
    for _, r in best.values():
        for text in r["requiresDist"]:
            req = Requirement(text)
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            have = versions.get(canonicalize_name(req.name), [])
            if not list(req.specifier.filter(have)):
                count += 1
    problems.append(count)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "problems": problems}))
