"""Peer of bench/artifacts.bench.ts: what a careful Python tool does to vet a wheel, with the
standard library only (zipfile + hashlib + csv, as pip's installer verifies RECORD): the file's
sha256, blake2b-256 and md5 in one pass, then every member read, its sha256 compared with
RECORD, and METADATA decoded. Prints JSON: seconds, CPU seconds, bytes, files, peak RSS."""
import base64, csv, hashlib, io, json, resource, sys, time, zipfile

def vet(path):
    sha, b2, md5 = hashlib.sha256(), hashlib.blake2b(digest_size=32), hashlib.md5()
    size = 0
    with open(path, 'rb') as f:
        while chunk := f.read(1 << 20):
            sha.update(chunk); b2.update(chunk); md5.update(chunk); size += len(chunk)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        dist_info = next(n.split('/')[0] for n in names if n.split('/')[0].endswith('.dist-info'))
        record = {row[0]: row for row in csv.reader(io.TextIOWrapper(z.open(f'{dist_info}/RECORD'), 'utf-8'))}
        z.read(f'{dist_info}/METADATA').decode('utf-8')
        for info in z.infolist():
            if info.is_dir() or info.filename == f'{dist_info}/RECORD':
                continue
            h = hashlib.sha256()
            with z.open(info) as m:
                while chunk := m.read(1 << 20):
                    h.update(chunk)
            algo, _, digest = record[info.filename][1].partition('=')
            if algo != 'sha256' or base64.urlsafe_b64encode(h.digest()).rstrip(b'=').decode() != digest:
                raise SystemExit(f'{path}: RECORD mismatch for {info.filename}')
    return size

paths = sys.argv[1:]
start = time.perf_counter()
cpu0 = resource.getrusage(resource.RUSAGE_SELF)
total = sum(vet(p) for p in paths)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'seconds': time.perf_counter() - start, 'cpu': usage.ru_utime + usage.ru_stime - cpu0.ru_utime - cpu0.ru_stime, 'bytes': total, 'files': len(paths),
                  'maxrss_kb': usage.ru_maxrss}))
