// The bounded-parallelism helpers the mirror's pipeline is built on: mapLimit keeps order and
// its bound; limiter admits at most `limit` tasks at once, in arrival order, and frees a slot
// when a task fails as when it succeeds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limiter, mapLimit } from '../../src/concurrency.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('concurrency', () => {
  it('mapLimit keeps result order and never runs more than its limit', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3], 2, async (n, i) => {
      running++;
      peak = Math.max(peak, running);
      await tick(n);
      running--;
      return `${i}:${n}`;
    });
    assert.deepEqual(out, ['0:5', '1:1', '2:4', '3:2', '4:3']);
    assert.equal(peak, 2);
  });

  it('limiter admits at most `limit` tasks, in arrival order, and a failure frees its slot', async () => {
    const slot = limiter(2);
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const task = (id: number, fail = false) =>
      slot(async () => {
        started.push(id);
        running++;
        peak = Math.max(peak, running);
        await tick(5);
        running--;
        if (fail) throw new Error(`task ${id} failed`);
        return id;
      });
    const results = await Promise.allSettled([task(1, true), task(2), task(3), task(4, true), task(5)]);
    assert.equal(peak, 2);
    assert.deepEqual(started, [1, 2, 3, 4, 5]);
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['task 1 failed', 2, 3, 'task 4 failed', 5],
    );
    // Every slot came back: a new task runs at once.
    assert.equal(await slot(async () => 'again'), 'again');
  });
});
