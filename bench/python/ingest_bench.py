"""Peer for bench/ingest.bench.ts: the same ingest work in plain Python (stdlib only), the way a
small index server would do it: verify every RECORD hash, read and parse METADATA, the three
PyPI digests, a content-addressed copy (temp file, fsync, rename, directory fsync) of the file
and of its METADATA, then one SQLite transaction (WAL, synchronous=FULL) inserting the file row
and a hash-chained audit row.

Usage: ingest_bench.py OUT_DIR WHEEL...   prints one JSON line {"seconds": s, "files": n, "bytes": b}
"""
import base64, csv, email.parser, hashlib, io, json, os, sqlite3, sys, time, zipfile

out, wheels = sys.argv[1], sys.argv[2:]
blobs = os.path.join(out, 'blobs')
tmp = os.path.join(blobs, 'tmp')
os.makedirs(tmp, exist_ok=True)
db = sqlite3.connect(os.path.join(out, 'catalog.sqlite'), isolation_level=None)
db.execute('pragma journal_mode = wal')
db.execute('pragma synchronous = full')
db.execute('create table files (id integer primary key, filename text unique, project text, version text, size int,'
           ' sha256 text, blake2b256 text, md5 text, metadata_sha256 text, requires_dist text)')
db.execute('create table audit_log (seq integer primary key, at text, action text, subject text, details text,'
           ' prev_hash text, hash text)')


def fsync_dir(d):
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def put(data, sha):
    d = os.path.join(blobs, sha[:2], sha[2:4])
    target = os.path.join(d, sha)
    if os.path.exists(target):
        return
    t = os.path.join(tmp, f'{os.getpid()}-{sha[:16]}')
    with open(t, 'wb') as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    created = not os.path.isdir(d)
    os.makedirs(d, exist_ok=True)
    os.rename(t, target)
    fsync_dir(d)
    if created:  # as pyvet does: a new ab/cd directory must be durable in its parents too
        fsync_dir(os.path.dirname(d))
        fsync_dir(blobs)


def ingest(path):
    data = open(path, 'rb').read()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        present = set(names)
        record = next(n for n in names if n.endswith('.dist-info/RECORD'))
        for row in csv.reader(io.TextIOWrapper(z.open(record), 'utf-8')):
            if not row or not row[1] or row[0] not in present:  # real wheels list a few absent files
                continue
            algo, _, want = row[1].partition('=')
            got = base64.urlsafe_b64encode(hashlib.new(algo, z.read(row[0])).digest()).rstrip(b'=').decode()
            if got != want:
                raise ValueError(f'{path}: RECORD mismatch for {row[0]}')
        meta_bytes = z.read(next(n for n in names if n.endswith('.dist-info/METADATA')))
    meta = email.parser.BytesParser().parsebytes(meta_bytes)
    sha = hashlib.sha256(data).hexdigest()
    b2 = hashlib.blake2b(data, digest_size=32).hexdigest()
    md5 = hashlib.md5(data).hexdigest()
    put(data, sha)
    meta_sha = hashlib.sha256(meta_bytes).hexdigest()
    put(meta_bytes, meta_sha)
    filename = os.path.basename(path)
    db.execute('begin immediate')
    db.execute('insert into files (filename, project, version, size, sha256, blake2b256, md5, metadata_sha256, requires_dist)'
               ' values (?,?,?,?,?,?,?,?,?)',
               (filename, meta['Name'], meta['Version'], len(data), sha, b2, md5, meta_sha,
                json.dumps(meta.get_all('Requires-Dist') or [])))
    prev = db.execute('select hash from audit_log order by seq desc limit 1').fetchone()
    prev = prev[0] if prev else '0' * 64
    details = json.dumps({'sha256': sha}, sort_keys=True, separators=(',', ':'))
    body = json.dumps({'action': 'file.ingest', 'subject': filename, 'details': details}, sort_keys=True)
    h = hashlib.sha256(f'{prev}\n{body}'.encode()).hexdigest()
    db.execute('insert into audit_log (at, action, subject, details, prev_hash, hash) values (?,?,?,?,?,?)',
               (time.strftime('%Y-%m-%dT%H:%M:%SZ'), 'file.ingest', filename, details, prev, h))
    db.execute('commit')
    return len(data)


start = time.perf_counter()
total = sum(ingest(w) for w in wheels)
print(json.dumps({'seconds': time.perf_counter() - start, 'files': len(wheels), 'bytes': total}))
