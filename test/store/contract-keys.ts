// The contract's cases for keys' last use (recordKeyUse, read back by listKeys and keyById): run
// against every store beside contract.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KeyRecord, Store } from '../../src/store/types.js';
import { createManualClock } from '../../src/core/clock.js';
import { uniqueId } from '../support/redis-client.js';
import type { StoreFactory } from './contract.js';

const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

export function keyUseContract(name: string, factory: StoreFactory): void {
  describe(`Store contract, key last use: ${name}`, () => {
    let store: Store;
    let user: string;
    const key = (keyId: string, createdAt: number): KeyRecord => ({ keyId, userId: user, prefix: 'tg-x', name: `n-${keyId}`, createdAt, expiresAt: null });
    const lastUse = async () => Object.fromEntries((await store.listKeys(user)).map((k) => [k.keyId.slice(user.length + 1), k.lastUsedAt ?? null]));

    beforeEach(async () => {
      store = await factory(createManualClock(T0));
      user = uniqueId('keyuse');
      await store.putUser({ id: user, limits: {}, allowedModels: null, disabled: false, createdAt: 1 });
      await store.putKey(`${user}-da`, key(`${user}-a`, 1));
      await store.putKey(`${user}-db`, key(`${user}-b`, 2));
    });
    afterEach(async () => {
      await store.close();
    });

    it('a key never used has no last use; a recorded use shows in listKeys and keyById', async () => {
      expect(await lastUse()).toEqual({ a: null, b: null });
      await store.recordKeyUse([[`${user}-a`, T0 + 5]]);
      expect(await lastUse()).toEqual({ a: T0 + 5, b: null });
      expect((await store.keyById(`${user}-a`))?.lastUsedAt).toBe(T0 + 5);
      expect((await store.keyById(`${user}-b`))?.lastUsedAt).toBeUndefined();
    });

    it('keeps the latest time whatever order batches arrive in (replicas flush independently)', async () => {
      await store.recordKeyUse([[`${user}-a`, T0 + 100], [`${user}-b`, T0 + 10]]);
      await store.recordKeyUse([[`${user}-a`, T0 + 50], [`${user}-b`, T0 + 20]]);
      expect(await lastUse()).toEqual({ a: T0 + 100, b: T0 + 20 });
    });

    it('a key\'s other fields are unchanged by its use, and its use by a change of its limits', async () => {
      await store.recordKeyUse([[`${user}-a`, T0 + 7]]);
      await store.setKeyLimits(`${user}-a`, { requests_per_day: 3 });
      expect(await store.keyById(`${user}-a`)).toMatchObject({ keyId: `${user}-a`, name: `n-${user}-a`, createdAt: 1, expiresAt: null, limits: { requests_per_day: 3 }, lastUsedAt: T0 + 7 });
    });

    it('a revoked or unknown key is not brought back by a use recorded after it went', async () => {
      await store.revokeKey(`${user}-b`);
      await store.recordKeyUse([[`${user}-b`, T0 + 9], [`${user}-nope`, T0 + 9], [`${user}-a`, T0 + 9]]);
      expect(await lastUse()).toEqual({ a: T0 + 9 });
      expect(await store.keyById(`${user}-b`)).toBeNull();
      expect(await store.keyById(`${user}-nope`)).toBeNull();
    });

    it('records thousands of keys in one call', async () => {
      const many = Array.from({ length: 2500 }, (_, i) => [`${user}-m${i}`, T0 + i] as const);
      for (const [keyId] of many.slice(0, 3)) await store.putKey(`${keyId}-d`, key(keyId, 3));
      await store.recordKeyUse([...many, [`${user}-a`, T0 + 1]]);
      expect(await lastUse()).toEqual({ a: T0 + 1, b: null, m0: T0, m1: T0 + 1, m2: T0 + 2 });
    });
  });
}
