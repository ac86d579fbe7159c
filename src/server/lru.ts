// A map bounded by the bytes of its values, evicting the least recently used entry first, so the
// server's memory stays flat however many projects and files the catalog holds.

export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private used = 0;
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const e = this.touch(key);
    if (!e) this.misses++;
    return e?.value;
  }

  /** get() that counts hits only, for a lookup that is retried with get() on a miss. */
  getIfPresent(key: string): V | undefined {
    return this.touch(key)?.value;
  }

  private touch(key: string): { value: V; bytes: number } | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    this.hits++;
    // Re-insert to move the entry to the most recent end (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, e);
    return e;
  }

  set(key: string, value: V, bytes: number): void {
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.used += bytes;
    this.evict();
  }

  /** Accounts for `value` having grown or shrunk, if it is still the entry under `key`. */
  resize(key: string, value: V, bytes: number): void {
    const e = this.map.get(key);
    if (e?.value !== value) return;
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
