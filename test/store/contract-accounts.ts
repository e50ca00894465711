// The contract's cases for accounts made on the fly (end users a service key names) and for
// keys with limits of their own: run against every store beside contract.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store, UserRecord } from '../../src/store/types.js';
import { createManualClock } from '../../src/util/clock.js';
import { uniqueId } from '../support/redis-client.js';
import type { StoreFactory } from './contract.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

export function accountsContract(name: string, factory: StoreFactory): void {
  describe(`Store contract, accounts: ${name}`, () => {
    let store: Store;
    let clock: ReturnType<typeof createManualClock>;
    let user: string;
    const endUser = (id: string, createdAt = 1): UserRecord => ({ id, limits: {}, allowedModels: null, disabled: false, createdAt });

    beforeEach(async () => {
      clock = createManualClock(T0);
      store = await factory(clock);
      user = uniqueId('accounts');
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates a user once however many ask at once, and never overwrites one', async () => {
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.createUser(endUser(user, i + 1), { by: `svc-${user}`, perMinute: 100 })));
      expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'exists')).toHaveLength(19);
      const winner = (await store.getUser(user))?.createdAt;
      await store.putUser({ ...endUser(user), limits: { tokens_per_day: 7 } });
      expect(await store.createUser(endUser(user, 99), null)).toBe('exists');
      expect(await store.getUser(user)).toMatchObject({ limits: { tokens_per_day: 7 } });
      expect(winner).toBeGreaterThan(0);
      const { users } = await store.listUsers(null, 10_000);
      expect(users.filter((u) => u.id === user)).toHaveLength(1);
    });

    it('caps the users one creator makes in a minute; the next minute it may make more', async () => {
      const cap = { by: `svc-${user}`, perMinute: 2 };
      expect(await store.createUser(endUser(`${user}-a`), cap)).toBe('created');
      expect(await store.createUser(endUser(`${user}-a`), cap)).toBe('exists');
      expect(await store.createUser(endUser(`${user}-b`), cap)).toBe('created');
      expect(await store.createUser(endUser(`${user}-c`), cap)).toBe('limited');
      expect(await store.getUser(`${user}-c`)).toBeNull();
      expect(await store.createUser(endUser(`${user}-c`), { by: `other-${user}`, perMinute: 2 })).toBe('created');
      clock.advance(60_000);
      expect(await store.createUser(endUser(`${user}-d`), cap)).toBe('created');
    });
  });
}
