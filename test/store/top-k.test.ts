// firstK: the first k of a list by an order, the same as sorting the whole list and slicing it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstK } from '../../src/store/top-k.js';

describe('firstK', () => {
  it('equals sort then slice, ties included, for any list and k', () => {
    const byValueThenId = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 5 })), { selector: (e) => e[0], maxLength: 200 }),
      fc.integer({ min: 0, max: 250 }), (items, k) => {
        expect(firstK(items, k, byValueThenId)).toEqual([...items].sort(byValueThenId).slice(0, k));
      }), { numRuns: 500 });
  });

  it('reads an iterable once, such as a Map', () => {
    const m = new Map([['a', 3], ['b', 1], ['c', 2]]);
    expect(firstK(m, 2, (x, y) => x[1] - y[1])).toEqual([['b', 1], ['c', 2]]);
  });
});
