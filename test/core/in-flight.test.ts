// Graceful shutdown waits on what is in flight: a tracked settle counts until it finishes, and
// idle() resolves only once every request and settle is done.
import { describe, expect, it } from 'vitest';
import { createInFlight } from '../../src/core/in-flight.js';

describe('in flight', () => {
  it('counts a tracked settle until it finishes, and idle() waits for it and for requests', async () => {
    const f = createInFlight();
    let finish = (): void => undefined;
    f.track(new Promise<void>((resolve) => { finish = resolve; }));
    f.track(Promise.resolve());
    const done = f.begin();
    expect(f.settling).toBe(2);
    let idle = false;
    const waiting = f.idle().then(() => { idle = true; });
    await new Promise((r) => setImmediate(r));
    expect(f.settling).toBe(1);
    finish();
    await new Promise((r) => setImmediate(r));
    expect(f.settling).toBe(0);
    expect(idle).toBe(false);
    done();
    done();
    await waiting;
    expect(idle).toBe(true);
    expect(f.requests).toBe(0);
  });
});
