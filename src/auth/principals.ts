// Key -> principal: the user a key belongs to, with its effective limits. Lookups are cached for
// `auth.cache_ms` (default 1 s), so a revoked key or a changed limit reaches every replica within
// that time while a busy key costs no store call per request.
import { resolveCalendar, type CalendarLayer, type CalendarSettings } from '../limits/user-calendar.js';
import { effectiveLimits } from '../limits/vocabulary.js';
import type { Store, UserRecord } from '../store/types.js';
import type { Clock } from '../core/clock.js';
import { digestKey } from './api-keys.js';
import { createEndUsers } from './end-users.js';

export interface Principal {
  readonly userId: string;
  readonly keyId: string;
  readonly user: UserRecord;
  readonly limits: Readonly<Record<string, number>>;
  /** The time zone and month anchor the user's windows follow (own, else the plan's, else the default). */
  readonly calendar: CalendarSettings;
  /** The service key acting for this (end) user, when it was not the user's own key. */
  readonly via?: string;
  /** The key's own limits (a user's own key only), checked beside the user's. */
  readonly keyLimits?: Readonly<Record<string, number>>;
}

/** A service key: it is no one until a request names the end user it acts for. */
export interface ServiceCaller {
  readonly service: true;
  readonly keyId: string;
}

export interface PrincipalResolver {
  /** The principal for a presented key, or null for an unknown, expired or disabled one. */
  resolve(key: string): Promise<Principal | ServiceCaller | null>;
  /**
   * The end user a service key (or a JWT issuer, `jwt:<iss>`) names, found or created on first
   * sight (or a GatewayError). `plan`, when given, is the plan that applies instead of the user's own.
   */
  actFor(caller: Pick<ServiceCaller, 'keyId'>, endUserId: string, source: string, plan?: string | null): Promise<Principal>;
  /** Effective limits of a user: its own over its plan's over the defaults. */
  limitsOf(user: UserRecord, plan?: string | null): Promise<Readonly<Record<string, number>>>;
  /** The calendar a user's windows follow: its own over its plan's over the configured default. */
  calendarOf(user: UserRecord, plan?: string | null): CalendarSettings;
  /** Whether this key has resolved to a principal in this process (no store call). The bad-key
   * limiter lets such a key through to its lookup, which still decides. */
  knownGood(key: string): boolean;
  forget(): void;
}

export interface ResolverOptions {
  store: Store;
  clock: Clock;
  cacheMs: number;
  configDefaults: Readonly<Record<string, number | null | undefined>>;
  /** Named plans: defaults that sit between the general defaults and a user's own limits. */
  plans?: Readonly<Record<string, { readonly limits: Readonly<Record<string, number | null | undefined>> } & CalendarLayer>>;
  /** The default time zone and month anchor (config `time_zone`, `month_anchor_day`). */
  calendarDefaults?: CalendarLayer;
  /** Keep answering for known keys from the cache when the store is unreachable. */
  serveStale: boolean;
  /** Create an end user a service key names for the first time (else refuse it). */
  autoCreateUsers: boolean;
  /** Users one service key may create per minute. */
  usersCreatedPerMinute: number;
  onUserCreated?: (user: UserRecord) => void;
  /** Told of every request a key authenticated, cache hit or not (auth/key-use.ts notes it). */
  onKeyUsed?: (keyId: string) => void;
}

const MAX_ENTRIES = 50_000;
const MAX_VOUCHED = 100_000;

export function createPrincipalResolver(o: ResolverOptions): PrincipalResolver {
  const cache = new Map<string, { at: number; value: Principal | ServiceCaller | null }>();
  const endUsers = createEndUsers({ store: o.store, clock: o.clock, cacheMs: o.cacheMs, autoCreate: o.autoCreateUsers, perMinute: o.usersCreatedPerMinute,
    ...(o.onUserCreated ? { onCreated: o.onUserCreated } : {}) });
  // Digests of keys that resolved to a principal. Kept apart from the cache (which holds bad keys
  // too, and only for cache_ms): only a valid key gets in, so guessing cannot crowd one out.
  const vouched = new Set<string>();
  let defaults: { at: number; value: Readonly<Record<string, number | null | undefined>> } | null = null;

  async function currentDefaults(now: number) {
    if (!defaults || now - defaults.at >= o.cacheMs) {
      const stored = await o.store.getSettings();
      const value: Record<string, number | null | undefined> = { ...o.configDefaults };
      for (const [k, v] of Object.entries(stored)) if (v !== null) value[k] = v;
      defaults = { at: now, value };
    }
    return defaults.value;
  }

  function limitsWith(defaults: Readonly<Record<string, number | null | undefined>>, user: UserRecord, plan: string | null) {
    const planned = plan === null ? undefined : o.plans?.[plan];
    return effectiveLimits(planned ? effectiveLimits(defaults, planned.limits) : defaults, user.limits);
  }

  async function limitsOf(user: UserRecord, plan: string | null = user.plan ?? null) {
    return limitsWith(await currentDefaults(o.clock.now()), user, plan);
  }

  // What actFor worked out for an end user, kept while its record (cached by end-users.ts), the
  // plan applied and the defaults are the same: the planner and the store's codec keep what they
  // derive per limits object and per calendar, so new ones each request would be derived again.
  const acting = new WeakMap<UserRecord, { plan: string | null; defaults: object; limits: Readonly<Record<string, number>>; calendar: CalendarSettings }>();

  function calendarOf(user: UserRecord, plan: string | null = user.plan ?? null): CalendarSettings {
    const planned = plan === null ? undefined : o.plans?.[plan];
    return resolveCalendar({ time_zone: user.timeZone, month_anchor_day: user.monthAnchorDay }, planned, o.calendarDefaults);
  }

  async function lookup(digest: string, now: number): Promise<Principal | ServiceCaller | null> {
    const key = await o.store.keyByDigest(digest);
    if (!key || key.revoked || (key.expiresAt !== null && key.expiresAt <= now)) return null;
    if (key.role === 'service') return { service: true, keyId: key.keyId };
    const user = await o.store.getUser(key.userId);
    if (!user || user.disabled) return null;
    const keyLimits = key.limits ? effectiveLimits({}, key.limits) : {};
    return { userId: user.id, keyId: key.keyId, user, limits: await limitsOf(user), calendar: calendarOf(user), ...(Object.keys(keyLimits).length > 0 ? { keyLimits } : {}) };
  }

  const used = (value: Principal | ServiceCaller | null) => {
    if (value !== null) o.onKeyUsed?.(value.keyId);
    return value;
  };

  return {
    async resolve(presented) {
      const now = o.clock.now();
      const digest = digestKey(presented);
      const hit = cache.get(digest);
      if (hit && now - hit.at < o.cacheMs) return used(hit.value);
      let value: Principal | ServiceCaller | null;
      try {
        value = await lookup(digest, now);
      } catch (err) {
        // The store is unreachable: a key seen before keeps working (fail-open serving needs it).
        if (hit && o.serveStale) return used(hit.value);
        throw err;
      }
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(digest, { at: now, value });
      if (value === null) vouched.delete(digest);
      else if (!vouched.has(digest)) {
        if (vouched.size >= MAX_VOUCHED) vouched.clear();
        vouched.add(digest);
      }
      return used(value);
    },
    async actFor(caller, endUserId, source, plan) {
      const user = await endUsers.get(caller.keyId, endUserId, source);
      const applied = plan ?? user.plan ?? null;
      const defaults = await currentDefaults(o.clock.now());
      let known = acting.get(user);
      if (!known || known.plan !== applied || known.defaults !== defaults) {
        known = { plan: applied, defaults, limits: limitsWith(defaults, user, applied), calendar: calendarOf(user, applied) };
        acting.set(user, known);
      }
      return { userId: user.id, keyId: caller.keyId, user, limits: known.limits, calendar: known.calendar, via: caller.keyId };
    },
    limitsOf,
    calendarOf,
    knownGood: (presented) => vouched.has(digestKey(presented)),
    forget() {
      // `vouched` stays: it grants nothing, only a lookup past the bad-key limiter.
      cache.clear();
      endUsers.forget();
      defaults = null;
    },
  };
}
