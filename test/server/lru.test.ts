// ByteLru, the bound behind the page and blob caches: bytes never exceed the bound, the least
// recently used entry goes first, an out-of-date entry is dropped on lookup, sizes can change.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteLru } from '../../src/server/lru.js';

describe('ByteLru', () => {
  it('stays within its bytes and evicts the least recently used first', () => {
    const lru = new ByteLru<number>(1000);
    for (let i = 0; i < 10; i++) lru.set(`k${i}`, i, 100);
    assert.equal(lru.bytes, 1000);
    // Ask for the oldest entries again, then add more: the untouched ones go.
    for (const k of ['k0', 'k1', 'k2']) assert.equal(lru.get(k), Number(k.slice(1)));
    for (let i = 10; i < 15; i++) lru.set(`k${i}`, i, 100);
    assert.ok(lru.bytes <= 1000);
    for (const k of ['k0', 'k1', 'k2']) assert.notEqual(lru.get(k), undefined, `${k} was used recently`);
    for (const k of ['k3', 'k4', 'k5', 'k6', 'k7']) assert.equal(lru.get(k), undefined, `${k} was the least recently used`);
    lru.set('huge', 0, 2000);
    assert.equal(lru.get('huge'), undefined, 'an entry larger than the bound is not kept');
  });

  it('keeps entries in use under a steady stream of new ones', () => {
    const lru = new ByteLru<number>(100 * 10);
    const hot = ['a', 'b', 'c', 'd', 'e'];
    for (const k of hot) lru.set(k, 1, 10);
    for (let i = 0; i < 10_000; i++) {
      for (const k of hot) assert.equal(lru.get(k), 1, `${k} at round ${i}`);
      lru.set(`cold${i}`, 1, 10);
    }
  });

  it('counts hits and misses, drops what `current` refuses, and follows size changes', () => {
    const lru = new ByteLru<{ v: number }>(1000);
    const a = { v: 1 };
    lru.set('a', a, 100);
    assert.equal(lru.getIfPresent('b'), undefined);
    assert.equal(lru.misses, 0, 'getIfPresent does not count a miss');
    assert.equal(lru.get('a', (x) => x.v === 1), a);
    assert.equal(lru.get('a', (x) => x.v === 2), undefined);
    assert.deepEqual([lru.hits, lru.misses, lru.size, lru.bytes], [1, 1, 0, 0], 'the refused entry is gone');
    lru.set('a', a, 100);
    lru.resize('a', 600, (x) => x !== a);
    assert.equal(lru.bytes, 100, 'resize only when the entry is the one meant');
    lru.resize('a', 600, (x) => x === a);
    assert.equal(lru.bytes, 600);
    lru.set('b', { v: 2 }, 500);
    assert.equal(lru.get('a'), undefined, 'growing past the bound evicts');
    assert.equal(lru.bytes, 500);
  });
});
