// Model-based differential test: long random sequences of reserve, settle, release, reset, peek,
// limit changes (each request names its own limits), conversation trees and clock jumps across
// minute, day and month boundaries, run against the memory store and a real Redis at once. Every
// answer, every state and the ledgers must be identical. A failure is shrunk to its shortest
// sequence; keep it in differential-regressions.ts.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { testRedis, uniqueId } from '../support/redis-client.js';
import { command, runBoth, type Cmd } from './differential-model.js';
import { REGRESSIONS } from './differential-regressions.js';

const STARTS = [
  Date.UTC(2026, 10, 30, 23, 58, 30), // two minutes before a day and a month end
  Date.UTC(2028, 1, 28, 23, 59, 0), // the day before a leap day
  Date.UTC(2026, 10, 23, 12, 0, 0),
  Date.UTC(2026, 2, 8, 6, 58, 0), // two minutes before New York springs forward (issue 18)
  Date.UTC(2026, 11, 31, 23, 58, 0), // a year end, inside an ISO week
];

const run = (cmds: readonly Cmd[], start: number) =>
  runBoth(cmds, async (clock) => ({ a: createMemoryStore({ clock }), b: createRedisStore({ client: testRedis(), clock }) }),
    [uniqueId('diff-a'), uniqueId('diff-b')], start);

describe('memory store and Redis store give the same answers', () => {
  it('on random sequences of reserve, settle, release, reset, peek and clock jumps', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 200, size: 'max' }), fc.constantFrom(...STARTS), (cmds, start) => run(cmds, start)),
      { numRuns: 200 },
    );
  }, 120_000);

  for (const [name, cmds, start] of REGRESSIONS) {
    it(`regression: ${name}`, () => run(cmds, start));
  }
});
