// The key-use recorder: a request only notes its key; one store call writes every key's latest
// use, on a flush (the interval's timer, or an admin read).
import { describe, expect, it } from 'vitest';
import { createKeyUseRecorder } from '../../src/auth/key-use.js';
import { createManualClock } from '../../src/core/clock.js';

type Batch = ReadonlyArray<readonly [string, number]>;

function recorder(fail = 0, flushMs = 3_600_000) {
  const calls: Batch[] = [];
  let failures = fail;
  const clock = createManualClock(1000);
  const errors: unknown[] = [];
  const r = createKeyUseRecorder({
    clock, flushMs, onError: (e) => errors.push(e),
    store: { recordKeyUse: async (uses) => {
      if (failures-- > 0) throw new Error('store down');
      calls.push([...uses]);
    } },
  });
  return { r, calls, clock, errors };
}

describe('key-use recorder', () => {
  it('writes nothing per request: a thousand uses of three keys are one call with each key\'s latest time', async () => {
    const { r, calls, clock } = recorder();
    for (let i = 0; i < 1000; i++) {
      r.used(['a', 'b', 'c'][i % 3] as string);
      clock.advance(1);
    }
    expect(calls).toEqual([]);
    await r.flush();
    expect(calls).toEqual([[['a', 1999], ['b', 1997], ['c', 1998]]]);
    await r.flush();
    expect(calls).toHaveLength(1); // nothing new: no call
  });

  it('a failed write is kept and merged with later uses, the later time winning', async () => {
    const { r, calls, clock } = recorder(1);
    r.used('a');
    r.used('b');
    await expect(r.flush()).rejects.toThrow('store down');
    clock.advance(50);
    r.used('a');
    await r.flush();
    expect(calls).toEqual([[['a', 1050], ['b', 1000]]]);
  });

  it('flushes on its own once the interval has passed', async () => {
    const { r, calls } = recorder(0, 20);
    r.used('a');
    await expect.poll(() => calls.length).toBe(1);
    expect(calls[0]).toEqual([['a', 1000]]);
    await r.close();
  });

  it('a flush asked for while one is writing waits for it, then writes what came since', async () => {
    const calls: Batch[] = [];
    let release = () => {};
    const clock = createManualClock(1000);
    const r = createKeyUseRecorder({ clock, flushMs: 3_600_000, store: { recordKeyUse: async (uses) => {
      calls.push([...uses]);
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
    } } });
    r.used('a');
    const first = r.flush();
    await expect.poll(() => calls.length).toBe(1);
    clock.advance(5);
    r.used('a');
    const second = r.flush();
    await Promise.resolve();
    expect(calls).toHaveLength(1);
    release();
    await Promise.all([first, second]);
    expect(calls).toEqual([[['a', 1000]], [['a', 1005]]]);
  });
});
