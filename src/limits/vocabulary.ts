// Limits are data: a dimension × a window × a scope. Every limit name in config and in the
// admin API is derived from this table, so adding a dimension or a window is a change here,
// never on the proxy path.

export const DIMENSIONS = ['requests', 'messages', 'tokens', 'credits', 'spend_micros', 'failed_requests'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * Everything about a dimension that is not its counter, in one table: the type checker flags a
 * dimension missing here, and test/limits/vocabulary.test.ts checks every consumer covers it.
 */
export interface DimensionInfo {
  /** Its name in a limit's name (`message_credits_per_month`); null: counted for reports, never limited. */
  readonly limitName: string | null;
  /** Its part of the limit headers' names (`x-ratelimit-limit-spend-micros`); null when it has no limit. */
  readonly header: string | null;
  /** A refusal's words for one and for many of it. */
  readonly unit: readonly [string, string];
  /** What a refusal calls its limit (`spend limit`) and the CLI's usage column title. */
  readonly label: string;
  /** Counted in micro-USD: shown as dollars. */
  readonly money: boolean;
  /** Grows with the prompt and the output: a limit on it makes the prompt worth counting and the output ceiling worth writing. */
  readonly metered: boolean;
  /** Over a limit on it, a refusal is a used-up quota (402, no retry) rather than a rate limit (429). */
  readonly quota: boolean;
  /** Counted inside another dimension too (failed requests are requests): reports show it beside that one. */
  readonly partOf: Dimension | null;
}

export const DIMENSION_INFO = {
  requests: { limitName: 'requests', header: 'requests', unit: ['request', 'requests'], label: 'requests',
    money: false, metered: false, quota: false, partOf: null },
  messages: { limitName: 'messages', header: 'messages', unit: ['message', 'messages'], label: 'messages',
    money: false, metered: false, quota: false, partOf: null },
  tokens: { limitName: 'tokens', header: 'tokens', unit: ['token', 'tokens'], label: 'tokens',
    money: false, metered: true, quota: false, partOf: null },
  credits: { limitName: 'message_credits', header: 'credits', unit: ['message credit', 'message credits'], label: 'credits',
    money: false, metered: false, quota: true, partOf: null },
  spend_micros: { limitName: 'spend_micros', header: 'spend-micros', unit: ['micro-USD', 'micro-USD'], label: 'spend',
    money: true, metered: true, quota: true, partOf: null },
  failed_requests: { limitName: null, header: null, unit: ['failed request', 'failed requests'], label: 'failed',
    money: false, metered: false, quota: false, partOf: 'requests' },
} as const satisfies Record<Dimension, DimensionInfo>;

/** Counted for reports, never limited: requests sent upstream that failed (they count in `requests` too). */
export type ReportedDimension = { [D in Dimension]: (typeof DIMENSION_INFO)[D]['limitName'] extends null ? D : never }[Dimension];
/** A dimension a limit can name. */
export type LimitedDimension = Exclude<Dimension, ReportedDimension>;
export const isLimited = (d: Dimension): d is LimitedDimension => (DIMENSION_INFO[d] as DimensionInfo).limitName !== null;
export const LIMITED_DIMENSIONS: readonly LimitedDimension[] = DIMENSIONS.filter(isLimited);

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
export const WINDOW_INFO: Readonly<Record<Window, { readonly seconds: number | null; readonly retentionMs: number; readonly when: string }>> = {
  minute: { seconds: 60, retentionMs: 2 * MINUTE_MS, when: 'this minute' },
  day: { seconds: 86_400, retentionMs: 3 * DAY_MS, when: 'today' },
  week: { seconds: 604_800, retentionMs: 9 * DAY_MS, when: 'this week' },
  month: { seconds: 2_592_000, retentionMs: 40 * DAY_MS, when: 'this month' },
  lifetime: { seconds: null, retentionMs: 0, when: 'in this conversation tree' },
};

export type Scope = 'user' | 'key' | 'conversation';

/** Windows a user-scoped limit may use (lifetime budgets belong to conversation trees). */
export const USER_WINDOWS: readonly Window[] = ['minute', 'day', 'week', 'month'];

export interface LimitName {
  readonly name: string;
  readonly dimension: LimitedDimension;
  readonly window: Window;
}

export const LIMIT_NAMES: readonly LimitName[] = LIMITED_DIMENSIONS.flatMap((dimension) =>
  USER_WINDOWS.map((window) => ({ name: `${DIMENSION_INFO[dimension].limitName}_per_${window}`, dimension, window })),
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
