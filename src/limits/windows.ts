// Window boundaries from one clock, in the user's calendar (calendar.ts: zone and month anchor).
// The Lua scripts compute the same boundaries from Redis TIME (store/redis/lua/common.lua,
// `period`); test/limits/calendar.test.ts and the store contract pin them together.
import { localDay, localSpan, startOfLocalDay, UTC_CALENDAR, type Calendar } from './calendar.js';
import { WINDOW_INFO, type Window } from './vocabulary.js';

const MINUTE = 60_000;

export interface Period {
  readonly start: number; // ms since epoch, inclusive
  readonly end: number | null; // ms since epoch, exclusive; null for lifetime
}

export function periodOf(window: Window, nowMs: number, cal: Calendar = UTC_CALENDAR): Period {
  switch (window) {
    case 'minute': {
      const start = Math.floor(nowMs / MINUTE) * MINUTE;
      return { start, end: start + MINUTE };
    }
    case 'day':
    case 'week':
    case 'month': {
      const [first, next] = localSpan(window, localDay(cal.offsets, nowMs), cal.anchorDay);
      return { start: startOfLocalDay(cal.offsets, first), end: startOfLocalDay(cal.offsets, next) };
    }
    case 'lifetime':
      return { start: 0, end: null };
  }
}

/** How long a counter for this window is kept after its period ends (usage reports read yesterday and last month). */
export function retentionMs(window: Window): number {
  return WINDOW_INFO[window].retentionMs;
}
