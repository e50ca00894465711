// The end users a service key acts for: named per request, validated, looked up (cached like
// keys, for auth.cache_ms) and, on first sight, created with the defaults, or refused.
// Concurrent first requests for one id in this process share one lookup and one creation; across
// replicas the store's createUser makes the creation exactly-once.
import { GatewayError } from '../core/errors.js';
import type { Store, UserRecord } from '../store/types.js';
import type { Clock } from '../core/clock.js';
import { USER_ID, USER_ID_RULE } from './user-id.js';

export interface EndUserOptions {
  store: Store;
  clock: Clock;
  cacheMs: number;
  autoCreate: boolean;
  perMinute: number;
  /** Told of each user this process created (for the log). */
  onCreated?: (user: UserRecord) => void;
}

export interface EndUsers {
  /** The end user `id` named by service key `keyId` (in `source`, a header or body field): found, or created, or a GatewayError. */
  get(keyId: string, id: string, source: string): Promise<UserRecord>;
  forget(): void;
}

const MAX_ENTRIES = 50_000;

export function createEndUsers(o: EndUserOptions): EndUsers {
  const cache = new Map<string, { at: number; user: UserRecord }>();
  const pending = new Map<string, Promise<UserRecord>>();

  async function findOrCreate(keyId: string, id: string): Promise<UserRecord> {
    const found = await o.store.getUser(id);
    if (found) return found;
    if (!o.autoCreate) throw new GatewayError({ status: 403, code: 'unknown_user', message: `unknown end user '${id}'; an admin must create it first` });
    const user: UserRecord = { id, limits: {}, allowedModels: null, disabled: false, createdAt: o.clock.now(), createdBy: keyId };
    const outcome = await o.store.createUser(user, { by: keyId, perMinute: o.perMinute });
    if (outcome === 'limited') {
      const retry = Math.max(1, Math.ceil((60_000 - (o.clock.now() % 60_000)) / 1000));
      throw new GatewayError({ status: 429, code: 'rate_limit_exceeded', headers: { 'retry-after': String(retry) },
        message: `this service key has created ${o.perMinute} end users this minute; '${id}' is not created` });
    }
    if (outcome === 'created') {
      o.onCreated?.(user);
      return user;
    }
    const winner = await o.store.getUser(id); // another replica created it a moment ago
    if (!winner) throw new GatewayError({ status: 403, code: 'unknown_user', message: `end user '${id}' was removed while being created` });
    return winner;
  }

  return {
    async get(keyId, id, source) {
      if (!USER_ID.test(id)) {
        throw new GatewayError({ status: 400, code: 'invalid_request_error', param: source, message: `the end-user id in ${source} must be ${USER_ID_RULE}` });
      }
      const now = o.clock.now();
      const hit = cache.get(id);
      let user = hit && now - hit.at < o.cacheMs ? hit.user : undefined;
      if (!user) {
        let lookup = pending.get(id);
        if (!lookup) {
          lookup = findOrCreate(keyId, id).finally(() => pending.delete(id));
          pending.set(id, lookup);
        }
        user = await lookup;
        if (cache.size >= MAX_ENTRIES) cache.clear();
        cache.set(id, { at: now, user });
      }
      if (user.disabled) throw new GatewayError({ status: 403, code: 'user_disabled', message: `end user '${id}' is disabled` });
      return user;
    },
    forget: () => cache.clear(),
  };
}
