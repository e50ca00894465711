// Limits are data: a dimension × a window × a scope. Every limit name in config and in the
// admin API is derived from this table, so adding a dimension or a window is a change here,
// never on the proxy path.

export const DIMENSIONS = ['requests', 'messages', 'tokens', 'credits', 'spend_micros', 'failed_requests'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Counted for reports, never limited: requests sent upstream that failed (they count in `requests` too). */
export type ReportedDimension = 'failed_requests';
/** A dimension a limit can name. */
export type LimitedDimension = Exclude<Dimension, ReportedDimension>;
const isLimited = (d: Dimension): d is LimitedDimension => d !== 'failed_requests';

/** Dimensions a grant can add to (extra message credits, tokens or micro-USD, spent after the period's allowance). */
export const GRANT_DIMENSIONS = ['credits', 'tokens', 'spend_micros'] as const satisfies readonly LimitedDimension[];
export type GrantDimension = (typeof GRANT_DIMENSIONS)[number];

export const WINDOWS = ['minute', 'day', 'week', 'month', 'lifetime'] as const;
export type Window = (typeof WINDOWS)[number];

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/**
 * What each window is, in one table: its nominal length (the `w` of the RateLimit-Policy header;
 * calendar windows vary, see calendar.ts) and how long a counter is kept after its period ends
 * (usage reports read yesterday, last week and last month). The Lua scripts get the retentions
 * from here when they are loaded (store/redis/scripts.ts).
 */
export const WINDOW_INFO: Readonly<Record<Window, { readonly seconds: number | null; readonly retentionMs: number }>> = {
  minute: { seconds: 60, retentionMs: 2 * MINUTE_MS },
  day: { seconds: 86_400, retentionMs: 3 * DAY_MS },
  week: { seconds: 604_800, retentionMs: 9 * DAY_MS },
  month: { seconds: 2_592_000, retentionMs: 40 * DAY_MS },
  lifetime: { seconds: null, retentionMs: 0 },
};

export type Scope = 'user' | 'key' | 'conversation';

/** The name a dimension takes in a limit's name: `message_credits_per_month`, `tokens_per_day`. */
const NAME_OF: Record<LimitedDimension, string> = {
  requests: 'requests',
  messages: 'messages',
  tokens: 'tokens',
  credits: 'message_credits',
  spend_micros: 'spend_micros',
};

/** Windows a user-scoped limit may use (lifetime budgets belong to conversation trees). */
export const USER_WINDOWS: readonly Window[] = ['minute', 'day', 'week', 'month'];

export interface LimitName {
  readonly name: string;
  readonly dimension: LimitedDimension;
  readonly window: Window;
}

export const LIMIT_NAMES: readonly LimitName[] = DIMENSIONS.filter(isLimited).flatMap((dimension) =>
  USER_WINDOWS.map((window) => ({ name: `${NAME_OF[dimension]}_per_${window}`, dimension, window })),
);

/** Not a counter over a window: the number of requests a user may have in flight at once. */
export const PARALLEL_LIMIT = 'max_parallel_requests';

export const ALL_LIMIT_FIELDS: readonly string[] = [...LIMIT_NAMES.map((l) => l.name), PARALLEL_LIMIT];

const BY_NAME = new Map(LIMIT_NAMES.map((l) => [l.name, l]));
export function limitByName(name: string): LimitName | undefined {
  return BY_NAME.get(name);
}

/** Limits as stored: a value, `null` (use the default) or absent (use the default). */
export type LimitValues = Readonly<Record<string, number | null | undefined>>;

/** A user's own value wins over the default; null or absent means the default; no default means unlimited. */
export function effectiveLimits(defaults: LimitValues, overrides: LimitValues): Record<string, number> {
  const out: Record<string, number> = {};
  for (const field of ALL_LIMIT_FIELDS) {
    const own = overrides[field];
    const value = own === null || own === undefined ? defaults[field] : own;
    if (typeof value === 'number') out[field] = value;
  }
  return out;
}
