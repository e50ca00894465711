// The first k items of a list in an order, without sorting the whole list: a bounded heap holds
// the best k seen so far (its worst on top), so a page of 100 of 100,000 users costs O(n log k)
// rather than O(n log n). The embedded store ranks its usage index with it.

/** The first `k` of `items` by `cmp` (ascending), in order: the same as sorting all and slicing. */
export function firstK<T>(items: Iterable<T>, k: number, cmp: (a: T, b: T) => number): T[] {
  if (k <= 0) return [];
  const heap: T[] = []; // a max-heap by cmp: heap[0] is the worst kept
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (cmp(heap[i] as T, heap[parent] as T) <= 0) return;
      [heap[i], heap[parent]] = [heap[parent] as T, heap[i] as T];
      i = parent;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < heap.length && cmp(heap[l] as T, heap[worst] as T) > 0) worst = l;
      if (r < heap.length && cmp(heap[r] as T, heap[worst] as T) > 0) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst] as T, heap[i] as T];
      i = worst;
    }
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      up(heap.length - 1);
    } else if (cmp(item, heap[0] as T) < 0) {
      heap[0] = item;
      down(0);
    }
  }
  return heap.sort(cmp);
}
