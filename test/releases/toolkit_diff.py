# Independent oracle for `release diff` on the published toolkit files: a plain reading of the
# `name==version --hash=sha256:…` lines and packaging's Version ordering. Prints JSON counts.
import json
import re
import sys

from packaging.utils import canonicalize_name
from packaging.version import Version


def pins(path):
    text = open(path, encoding="utf-8").read().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#") or line.startswith("-"):
            continue
        m = re.match(r"^([A-Za-z0-9._-]+)\s*===?\s*([^\s;]+)", line)
        name = canonicalize_name(m.group(1))
        hashes = set(re.findall(r"--hash[= ](\S+)", line))
        prev = out.get(name)
        out[name] = (m.group(2), hashes | (prev[1] if prev else set()))
    return out


def diff(a, b):
    x, y = pins(a), pins(b)
    counts = dict(added=0, removed=0, upgraded=0, downgraded=0, rehashed=0, unchanged=0)
    for name in set(x) | set(y):
        if name not in x:
            counts["added"] += 1
        elif name not in y:
            counts["removed"] += 1
        else:
            va, vb = Version(x[name][0]), Version(y[name][0])
            if va < vb:
                counts["upgraded"] += 1
            elif va > vb:
                counts["downgraded"] += 1
            elif x[name][1] and y[name][1] and x[name][1] != y[name][1]:
                counts["rehashed"] += 1
            else:
                counts["unchanged"] += 1
    return counts


pairs = json.loads(sys.stdin.read())
print(json.dumps([diff(a, b) for a, b in pairs]))
