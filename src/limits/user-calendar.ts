// Which calendar a user's windows follow: the user's own time zone and month anchor, else their
// plan's, else the configured default (UTC, the 1st). Calendars are made once per zone, anchor
// and 30 days, so a request costs a map lookup.
import { type Calendar, UTC_CALENDAR } from './calendar.js';
import { zoneTable } from './zone-table.js';

export interface CalendarSettings {
  /** IANA time zone, e.g. `Europe/Moscow`. */
  readonly timeZone: string;
  /** Day of the month a monthly window starts on, 1-31 (past a month's end: its last day). */
  readonly monthAnchorDay: number;
}

/** One layer of settings (a user, a plan, the defaults): absent or null = the layer below. */
export interface CalendarLayer {
  readonly time_zone?: string | null | undefined;
  readonly month_anchor_day?: number | null | undefined;
}

export const DEFAULT_CALENDAR: CalendarSettings = Object.freeze({ timeZone: 'UTC', monthAnchorDay: 1 });

/** The first layer that sets each field wins. */
export function resolveCalendar(...layers: ReadonlyArray<CalendarLayer | undefined>): CalendarSettings {
  let timeZone: string | undefined;
  let monthAnchorDay: number | undefined;
  for (const l of layers) {
    timeZone ??= l?.time_zone ?? undefined;
    monthAnchorDay ??= l?.month_anchor_day ?? undefined;
  }
  return { timeZone: timeZone ?? DEFAULT_CALENDAR.timeZone, monthAnchorDay: monthAnchorDay ?? DEFAULT_CALENDAR.monthAnchorDay };
}

const BUCKET = 30 * 86_400_000;
const made = new Map<string, Calendar>();

/** The calendar for these settings around `nowMs`. */
export function calendarFor(s: CalendarSettings, nowMs: number): Calendar {
  if (s.timeZone === 'UTC' && s.monthAnchorDay === 1) return UTC_CALENDAR;
  const id = `${s.timeZone}|${s.monthAnchorDay}|${Math.floor(nowMs / BUCKET)}`;
  let cal = made.get(id);
  if (!cal) {
    cal = Object.freeze({ offsets: zoneTable(s.timeZone, nowMs), anchorDay: s.monthAnchorDay });
    if (made.size > 10_000) made.clear();
    made.set(id, cal);
  }
  return cal;
}
