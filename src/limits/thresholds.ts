// Which fractions of a limit record an event when a settle crosses them, and the usage at which
// each is crossed. The planner attaches them to the counters a request touches; both stores record
// an event when a charge moves `used` from below a point to at or above it (once per period).

export interface Threshold {
  /** The fraction as written in config ("0.8"): part of the event's id, so both stores agree on it. */
  readonly label: string;
  /** The smallest `used` at or past the fraction. */
  readonly point: number;
}

/** The usage at which `fraction` of `limit` is reached: a ceiling, without float noise (0.7 × 1000 is 700). */
export function crossingPoint(limit: number, fraction: number): number {
  return Math.ceil(Math.round(limit * fraction * 1e6) / 1e6);
}

/** Whether a charge from `before` to `after` crosses `point`. */
export const crosses = (before: number, after: number, point: number): boolean => before < point && after >= point;

const CACHE_MAX = 10_000;

/** Config `thresholds`: one list of fractions for every limit, or lists by limit name (and `default`). */
export type ThresholdSetting = readonly number[] | Readonly<Record<string, readonly number[] | undefined>>;

/** The thresholds of a limit name at a limit value; built once per (name, value) and kept. */
export function createThresholds(setting: ThresholdSetting): (name: string, limit: number) => readonly Threshold[] {
  const fractionsOf = (name: string): readonly number[] =>
    isList(setting) ? setting : (setting[name] ?? setting.default ?? [0.5, 0.8, 1]);
  const cache = new Map<string, readonly Threshold[]>();
  return (name, limit) => {
    const key = `${name}:${limit}`;
    let list = cache.get(key);
    if (!list) {
      list = fractionsOf(name).map((f) => ({ label: String(f), point: crossingPoint(limit, f) })).filter((t) => t.point > 0);
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(key, list);
    }
    return list;
  };
}

const isList = (s: ThresholdSetting): s is readonly number[] => Array.isArray(s);
