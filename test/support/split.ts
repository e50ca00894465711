// Splits bytes at random boundaries (1..200 bytes a piece), seeded, so a failure replays the same.

/** mulberry32: a small, fast, seedable PRNG. */
export function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createSplitter(seed: number, maxPiece = 200): (data: Uint8Array) => Uint8Array[] {
  const random = createRandom(seed);
  return (data) => {
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < data.length; ) {
      const size = 1 + Math.floor(random() * maxPiece);
      pieces.push(data.subarray(at, at + size));
      at += size;
    }
    return pieces;
  };
}
