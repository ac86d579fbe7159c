# Builds hostile variants of a real wheel and sdist for the ingest tests (SOURCE: written for
# pyvet's repository-core tests). Usage: hostile.py WHEEL SDIST OUTDIR
import io, os, shutil, sys, tarfile, zipfile

wheel, sdist, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
base = os.path.basename(wheel)
name, version = base.split('-')[0], base.split('-')[1]

def rewrite(dest, change):
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(os.path.join(out, dest), 'w', zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = change(info.filename, src.read(info.filename))
            if data is not None:
                dst.writestr(info.filename, data)
        extra = change(None, None)
        for fname, data in (extra or {}).items():
            dst.writestr(fname, data)

# 1. RECORD lies: a module's bytes changed, RECORD not updated.
os.makedirs(os.path.join(out, 'lies'), exist_ok=True)
rewrite(f'lies/{base}', lambda f, d: None if f is None else ((d + b'\nEVIL = 1\n') if f.endswith('.py') else d))

# 2. Path traversal: an extra member '../evil.py'.
os.makedirs(os.path.join(out, 'traversal'), exist_ok=True)
rewrite(f'traversal/{base}', lambda f, d: {'../evil.py': b'print(1)\n'} if f is None else d)

# 3. Zip bomb: a member that inflates 2000:1.
os.makedirs(os.path.join(out, 'bomb'), exist_ok=True)
rewrite(f'bomb/{base}', lambda f, d: {f'{name}/zeros.bin': b'\0' * (40 * 1024 * 1024)} if f is None else d)

# 4. Truncated: the first half of the wheel.
os.makedirs(os.path.join(out, 'truncated'), exist_ok=True)
data = open(wheel, 'rb').read()
open(os.path.join(out, 'truncated', base), 'wb').write(data[: len(data) // 2])

# 5. Not a zip at all.
os.makedirs(os.path.join(out, 'notzip'), exist_ok=True)
open(os.path.join(out, 'notzip', base), 'wb').write(b'this is not a zip file\n' * 10)

# 6. Filename disagrees with the metadata (the same wheel renamed to another version).
shutil.copy(wheel, os.path.join(out, f'{name}-9.9.9-py3-none-any.whl'))

# 7. Non-UTF-8 METADATA.
os.makedirs(os.path.join(out, 'latin1'), exist_ok=True)
rewrite(f'latin1/{base}', lambda f, d: None if f is None else (d.replace(b'Summary: ', b'Summary: caf\xe9 ') if f.endswith('METADATA') else d))

# 8. An sdist with a symlink pointing out of the tree.
sbase = os.path.basename(sdist)
os.makedirs(os.path.join(out, 'symlink'), exist_ok=True)
with tarfile.open(sdist) as src, tarfile.open(os.path.join(out, 'symlink', sbase), 'w:gz') as dst:
    top = None
    for m in src.getmembers():
        top = top or m.name.split('/')[0]
        dst.addfile(m, src.extractfile(m) if m.isfile() else None)
    link = tarfile.TarInfo(f'{top}/passwd')
    link.type = tarfile.SYMTYPE
    link.linkname = '/etc/passwd'
    dst.addfile(link)

# 9. METADATA names another project, RECORD updated to match (so only the disagreement is wrong).
import base64, hashlib
with zipfile.ZipFile(wheel) as src:
    meta_name = next(n for n in src.namelist() if n.endswith('.dist-info/METADATA'))
    meta = src.read(meta_name).replace(f'Name: {name}\n'.encode(), b'Name: otherpkg\n')
digest = base64.urlsafe_b64encode(hashlib.sha256(meta).digest()).rstrip(b'=').decode()
def fix_record(f, d):
    if f is None:
        return None
    if f == meta_name:
        return meta
    if f.endswith('.dist-info/RECORD'):
        lines = [f'{meta_name},sha256={digest},{len(meta)}' if l.startswith(meta_name + ',') else l for l in d.decode().splitlines()]
        return ('\n'.join(lines) + '\n').encode()
    return d
os.makedirs(os.path.join(out, 'mismatch'), exist_ok=True)
rewrite(f'mismatch/{base}', fix_record)
