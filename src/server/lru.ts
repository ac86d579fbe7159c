// A map bounded by the bytes of its values, evicting the least recently used entry first, so the
// server's memory stays flat however many projects and files the catalog holds. Recency is kept
// by insertion order; a hit moves its entry to the recent end only when it sits in the older
// half, which keeps the order close to exact LRU without a delete and insert on every hit.

interface Slot<V> {
  value: V;
  bytes: number;
  /** `clock` when the entry was last moved to the recent end. */
  stamp: number;
}

export class ByteLru<V> {
  private readonly map = new Map<string, Slot<V>>();
  private used = 0;
  private clock = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  /** The value under `key`, unless absent or `current` says it is out of date (it is then dropped). */
  get(key: string, current?: (value: V) => boolean): V | undefined {
    const e = this.map.get(key);
    if (e && (!current || current(e.value))) return this.touch(key, e);
    if (e) {
      this.map.delete(key);
      this.used -= e.bytes;
    }
    this.misses++;
    return undefined;
  }

  /** get() that neither drops nor counts a miss, for a lookup that is retried with get() when it fails. */
  getIfPresent(key: string, current?: (value: V) => boolean): V | undefined {
    const e = this.map.get(key);
    return e && (!current || current(e.value)) ? this.touch(key, e) : undefined;
  }

  private touch(key: string, e: Slot<V>): V {
    this.hits++;
    if (this.clock - e.stamp > this.map.size / 2) {
      // Re-insert to move the entry to the most recent end (Map keeps insertion order).
      this.map.delete(key);
      this.map.set(key, e);
      e.stamp = ++this.clock;
    }
    return e.value;
  }

  set(key: string, value: V, bytes: number): void {
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes, stamp: ++this.clock });
    this.used += bytes;
    this.evict();
  }

  /** Accounts for the value under `key` having grown or shrunk, if `owns` says it is the one meant. */
  resize(key: string, bytes: number, owns: (value: V) => boolean): void {
    const e = this.map.get(key);
    if (!e || !owns(e.value)) return;
    this.used += bytes - e.bytes;
    e.bytes = bytes;
    this.evict();
  }

  private evict(): void {
    for (const [k, e] of this.map) {
      if (this.used <= this.maxBytes) break;
      this.map.delete(k);
      this.used -= e.bytes;
    }
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.used;
  }
}
