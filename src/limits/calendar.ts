// Calendar windows in a user's time zone, from an offset table (zone-table.ts). This is the
// TypeScript half of one rule; store/redis/lua/common.lua (`period`) is the other, step for step,
// and test/limits/calendar.test.ts and the store contract hold them to the same answers.
//
// - day: from local midnight to the next local midnight (23 or 25 hours across a DST change);
// - week: ISO week, Monday 00:00 local to the next Monday;
// - month: from the anchor day (1-31) at local midnight to the next month's; an anchor past a
//   month's last day falls on that last day (the 31st renews on 30 April, 28/29 February).
// A local midnight that does not exist (a zone that springs forward at 00:00) starts at the
// first instant after it; one that happens twice starts at the first.
import { UTC_TABLE, type OffsetTable } from './zone-table.js';

const DAY = 86_400_000;

/** What a user's windows follow: the zone's offsets and the monthly anchor day. */
export interface Calendar {
  readonly offsets: OffsetTable;
  /** Day of the month a monthly window starts on, 1-31. */
  readonly anchorDay: number;
}

export const UTC_CALENDAR: Calendar = Object.freeze({ offsets: UTC_TABLE, anchorDay: 1 });

export function offsetOf(table: OffsetTable, t: number): number {
  let o = table.base;
  for (const [at, next] of table.transitions) {
    if (t < at) break;
    o = next;
  }
  return o;
}

/** Days since 1970-01-01 of the local date at `t`. */
export function localDay(table: OffsetTable, t: number): number {
  return Math.floor((t + offsetOf(table, t)) / DAY);
}

/** The first instant whose local time is at or after midnight starting local day `day`. */
export function startOfLocalDay(table: OffsetTable, day: number): number {
  const local = day * DAY;
  let best = Infinity;
  let from = -Infinity;
  let o = table.base;
  // Each stretch [from, until) has one offset; the earliest t in it with t + o >= local.
  for (let i = 0; i <= table.transitions.length; i++) {
    const next = table.transitions[i];
    const until = next ? next[0] : Infinity;
    const t = Math.max(from, local - o);
    if (t < until && t < best) best = t;
    if (next) {
      from = next[0];
      o = next[1];
    }
  }
  return best;
}

/** Days since the epoch of a civil date (H. Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function monthLength(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] as number;
}

/** The local day (days since the epoch) a monthly window starts on in month `m` of year `y`. */
function anchorIn(y: number, m: number, anchor: number): number {
  return daysFromCivil(y, m, Math.min(anchor, monthLength(y, m)));
}

/** First and one-past-last local day of the calendar window (day, week or month) holding local day `d`. */
export function localSpan(window: 'day' | 'week' | 'month', d: number, anchor: number): [number, number] {
  if (window === 'day') return [d, d + 1];
  if (window === 'week') {
    const monday = d - ((((d + 3) % 7) + 7) % 7); // 1970-01-01 was a Thursday
    return [monday, monday + 7];
  }
  const date = new Date(d * DAY);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const here = anchorIn(y, m, anchor);
  if (d >= here) return [here, m === 12 ? anchorIn(y + 1, 1, anchor) : anchorIn(y, m + 1, anchor)];
  return [m === 1 ? anchorIn(y - 1, 12, anchor) : anchorIn(y, m - 1, anchor), here];
}
