// An end user a service key acts for keeps one limits object and one calendar while nothing they
// come from changes: the planner and the Redis codec derive what they need once per such object,
// as they do for a user's own key. A change to any of them (the plan named, the defaults, the
// user's record) gives the new limits.
import { describe, expect, it } from 'vitest';
import { createPrincipalResolver } from '../../src/auth/principals.js';
import { createManualClock } from '../../src/core/clock.js';
import { createMemoryStore } from '../../src/store/memory.js';

function resolverAt() {
  const clock = createManualClock(Date.UTC(2026, 11, 1, 12));
  const store = createMemoryStore({ clock });
  const principals = createPrincipalResolver({
    store, clock, cacheMs: 1000, configDefaults: { messages_per_day: 100, tokens_per_day: 5000 }, serveStale: false,
    plans: { pro: { limits: { messages_per_day: 1000 }, time_zone: 'Europe/Moscow' } },
    autoCreateUsers: true, usersCreatedPerMinute: 100,
  });
  return { clock, store, principals };
}

describe('a service key acting for an end user', () => {
  it('gets the same limits and calendar objects while the user, the plan and the defaults stay as they were', async () => {
    const { principals } = resolverAt();
    const first = await principals.actFor({ keyId: 'svc' }, 'alice', 'x-tollgate-user');
    const again = await principals.actFor({ keyId: 'svc' }, 'alice', 'x-tollgate-user');
    expect(first.limits).toEqual({ messages_per_day: 100, tokens_per_day: 5000 });
    expect(again.limits).toBe(first.limits);
    expect(again.calendar).toBe(first.calendar);
  });

  it('gets the plan it names, and the defaults again when it names none', async () => {
    const { principals } = resolverAt();
    const plain = await principals.actFor({ keyId: 'svc' }, 'bob', 'x-tollgate-user');
    const pro = await principals.actFor({ keyId: 'svc' }, 'bob', 'x-tollgate-user', 'pro');
    expect(pro.limits).toEqual({ messages_per_day: 1000, tokens_per_day: 5000 });
    expect(pro.calendar).not.toEqual(plain.calendar);
    expect((await principals.actFor({ keyId: 'svc' }, 'bob', 'x-tollgate-user')).limits).toEqual(plain.limits);
  });

  it('gets a changed default or a changed user limit once the cache time has passed', async () => {
    const { clock, store, principals } = resolverAt();
    const before = await principals.actFor({ keyId: 'svc' }, 'carol', 'x-tollgate-user');
    await store.putSettings({ tokens_per_day: 7000 });
    const user = await store.getUser('carol');
    if (!user) throw new Error('carol was not created');
    await store.putUser({ ...user, limits: { messages_per_day: 5 } });
    expect((await principals.actFor({ keyId: 'svc' }, 'carol', 'x-tollgate-user')).limits).toBe(before.limits);
    clock.advance(1000);
    expect((await principals.actFor({ keyId: 'svc' }, 'carol', 'x-tollgate-user')).limits).toEqual({ messages_per_day: 5, tokens_per_day: 7000 });
  });
});
