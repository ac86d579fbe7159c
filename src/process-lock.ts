// Exclusive work on a data directory across processes: a lock file naming the holder's pid.
// One left by a process that died (kill -9) is taken over; one held by a live process refuses.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { PyvetError } from './errors.js';

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock at `path`, or throws `code` (kind conflict) naming the live holder; `what`
 * words the refusal ('a mirror'). Returns the release, which removes the file.
 */
export async function takeLock(path: string, what: string, code: string): Promise<() => void> {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, `${process.pid} ${new Date().toISOString()}\n`);
      } finally {
        closeSync(fd);
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          // already gone: nothing to release
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder: string | undefined;
    try {
      holder = readFileSync(path, 'utf8');
    } catch {
      continue; // released meanwhile: try again
    }
    const [pid, since] = holder.trim().split(' ');
    if (!holder.endsWith('\n')) {
      // Its holder is still writing it (or died doing so): look again shortly.
      await new Promise((r) => setTimeout(r, 25));
      if (attempt < 10) continue;
    } else if (processAlive(Number(pid))) {
      throw new PyvetError(
        code,
        'conflict',
        `${what} is already running on this repository (pid ${pid}, since ${since}); wait for it to finish, or remove ${path} if that process is not pyvet`,
        { pid: Number(pid), lock: path },
      );
    }
    // Left by a process that is gone: take it over.
    try {
      unlinkSync(path);
    } catch {
      // someone else took it over first; the next attempt sees theirs
    }
  }
  throw new PyvetError(code, 'conflict', `cannot take ${path}: it keeps changing hands`, { lock: path });
}
