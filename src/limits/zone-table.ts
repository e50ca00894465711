// A time zone's UTC offsets over a few months, found with Intl, as the small table both stores
// compute periods from (see calendar.ts). Redis scripts have no time-zone database, so the
// gateway passes the table in; the script still decides the period from its own clock.
const DAY = 86_400_000;
/** A table covers the 30-day bucket holding "now" and this much either side: enough for a month window and its end. */
const MARGIN = 70 * DAY;
const BUCKET = 30 * DAY;
const STEP = DAY / 2; // offsets change at most once in half a day in every zone in use

/** UTC offsets of a zone: `base` before the first transition, then `[at, offset]` from each transition on (ms). */
export interface OffsetTable {
  readonly base: number;
  readonly transitions: ReadonlyArray<readonly [number, number]>;
}

export const UTC_TABLE: OffsetTable = Object.freeze({ base: 0, transitions: [] });

const formats = new Map<string, Intl.DateTimeFormat>();

function formatFor(zone: string): Intl.DateTimeFormat {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formats.set(zone, f);
  }
  return f;
}

/** Whether `zone` is an IANA time zone this Node knows. */
export function isTimeZone(zone: string): boolean {
  try {
    formatFor(zone);
    return true;
  } catch {
    // RangeError: not a zone; nothing to clean up.
    return false;
  }
}

/** The zone's offset from UTC at `t` (ms). */
export function offsetAt(zone: string, t: number): number {
  const name = formatFor(zone).formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name);
  if (!m) return 0;
  const ms = ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -ms : ms;
}

const tables = new Map<string, OffsetTable>();

/** The offsets of `zone` around `nowMs` (cached per zone and 30-day bucket). */
export function zoneTable(zone: string, nowMs: number): OffsetTable {
  if (zone === 'UTC' || zone === 'Etc/UTC') return UTC_TABLE;
  const bucket = Math.floor(nowMs / BUCKET) * BUCKET;
  const id = `${zone}@${bucket}`;
  let table = tables.get(id);
  if (!table) {
    table = buildTable(zone, bucket - MARGIN, bucket + BUCKET + MARGIN);
    if (tables.size > 10_000) tables.clear();
    tables.set(id, table);
  }
  return table;
}

function buildTable(zone: string, from: number, to: number): OffsetTable {
  const base = offsetAt(zone, from);
  const transitions: Array<[number, number]> = [];
  let prevT = from;
  let prev = base;
  for (let t = from + STEP; t <= to; t += STEP) {
    const o = offsetAt(zone, t);
    if (o !== prev) {
      // The change lies in (prevT, t]: narrow it to the second (zones change on whole seconds).
      let lo = prevT;
      let hi = t;
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (offsetAt(zone, mid) === prev) lo = mid;
        else hi = mid;
      }
      transitions.push([hi, o]);
      prev = o;
    }
    prevT = t;
  }
  return Object.freeze({ base, transitions });
}
