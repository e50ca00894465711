// The embedded store's accounts: users, keys (by digest and by id), settings and prompt
// calibration, kept in MemoryState (memory-state.ts) like everything else the store holds.
import type { Clock } from '../core/clock.js';
import type { MemoryState } from './memory-state.js';
import type { Store, UserRecord } from './types.js';

export type MemoryAccounts = Pick<Store, 'getUser' | 'putUser' | 'createUser' | 'putKey' | 'listUsers' | 'deleteUser' | 'listKeys'
  | 'revokeKey' | 'recordKeyUse' | 'keyById' | 'setKeyLimits' | 'keyByDigest' | 'getSettings' | 'putSettings' | 'recordCalibration' | 'calibration'>;

export function createMemoryAccounts(state: MemoryState, clock: Clock): MemoryAccounts {
  const { records, keys, keyIds, created, calibration } = state;

  function revoke(keyId: string): boolean {
    const digest = keyIds.get(keyId);
    if (digest === undefined) return false;
    keys.delete(digest);
    keyIds.delete(keyId);
    return true;
  }

  return {
    getUser: async (id) => records.get(id) ?? null,
    putUser: async (user) => void records.set(user.id, user),
    createUser: async (user, cap) => {
      if (records.has(user.id)) return 'exists';
      if (cap) {
        const minute = Math.floor(clock.now() / 60_000);
        const made = created.get(cap.by);
        const count = made?.minute === minute ? made.count : 0;
        if (count >= cap.perMinute) return 'limited';
        created.set(cap.by, { minute, count: count + 1 });
      }
      records.set(user.id, user);
      return 'created';
    },
    putKey: async (digest, key) => {
      keys.set(digest, key);
      keyIds.set(key.keyId, digest);
    },
    listUsers: async (cursor, limit) => {
      const ids = [...records.keys()].sort().filter((id) => cursor === null || id > cursor);
      const page = ids.slice(0, limit);
      return { users: page.map((id) => records.get(id) as UserRecord), next: ids.length > limit ? (page.at(-1) ?? null) : null };
    },
    deleteUser: async (id) => {
      for (const [keyId, digest] of keyIds) if (keys.get(digest)?.userId === id) revoke(keyId);
      return records.delete(id);
    },
    listKeys: async (userId) => [...keys.values()].filter((k) => k.userId === userId).sort((a, b) => a.createdAt - b.createdAt),
    revokeKey: async (keyId) => revoke(keyId),
    recordKeyUse: async (uses) => {
      for (const [keyId, at] of uses) {
        const digest = keyIds.get(keyId);
        const key = digest === undefined ? undefined : keys.get(digest);
        if (digest !== undefined && key && at > (key.lastUsedAt ?? -1)) keys.set(digest, { ...key, lastUsedAt: at });
      }
    },
    keyById: async (keyId) => {
      const digest = keyIds.get(keyId);
      return (digest === undefined ? undefined : keys.get(digest)) ?? null;
    },
    setKeyLimits: async (keyId, limits) => {
      const digest = keyIds.get(keyId);
      const key = digest === undefined ? undefined : keys.get(digest);
      if (digest === undefined || !key) return null;
      const next = { ...key, limits };
      keys.set(digest, next);
      return next;
    },
    keyByDigest: async (digest) => keys.get(digest) ?? null,
    getSettings: async () => state.settings,
    putSettings: async (limits) => {
      state.settings = { ...limits };
    },
    recordCalibration: async (samples) => {
      for (const s of samples) {
        const cur = calibration.get(s.model);
        calibration.set(s.model, cur ? { model: s.model, ratioPermille: Math.max(cur.ratioPermille, s.ratioPermille),
          surplus: Math.max(cur.surplus, s.surplus), samples: cur.samples + s.samples } : { ...s });
      }
    },
    calibration: async () => [...calibration.values()],
  };
}
