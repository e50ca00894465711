// Window boundaries in UTC, from one clock. The Lua scripts compute the same boundaries from
// Redis TIME (see store/redis/lua/periods.lua); test/limits/windows.test.ts pins them together.
import type { Window } from './vocabulary.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface Period {
  readonly start: number; // ms since epoch, inclusive
  readonly end: number | null; // ms since epoch, exclusive; null for lifetime
}

export function periodOf(window: Window, nowMs: number): Period {
  switch (window) {
    case 'minute': {
      const start = Math.floor(nowMs / MINUTE) * MINUTE;
      return { start, end: start + MINUTE };
    }
    case 'day': {
      const start = Math.floor(nowMs / DAY) * DAY;
      return { start, end: start + DAY };
    }
    case 'month': {
      const d = new Date(nowMs);
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      return { start, end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
    }
    case 'lifetime':
      return { start: 0, end: null };
  }
}

/** How long a counter for this window is kept after its period ends (usage reports read yesterday and last month). */
export function retentionMs(window: Window): number {
  switch (window) {
    case 'minute':
      return 2 * MINUTE;
    case 'day':
      return 3 * DAY;
    case 'month':
      return 40 * DAY;
    case 'lifetime':
      return 0;
  }
}
