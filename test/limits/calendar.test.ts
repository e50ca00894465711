// Calendar windows in a user's zone: local midnights across DST in two zones (and a zone that
// skips midnight itself), ISO weeks over year ends, month anchors on the 29th-31st. Expectations
// are written as instants; a second set checks every day start against Intl's own local time.
import { describe, expect, it } from 'vitest';
import { periodOf } from '../../src/limits/windows.js';
import { calendarFor } from '../../src/limits/user-calendar.js';
import { isTimeZone, offsetAt } from '../../src/limits/zone-table.js';

const at = (iso: string) => Date.parse(iso);
const cal = (timeZone: string, monthAnchorDay = 1, now = at('2026-06-01T00:00:00Z')) => calendarFor({ timeZone, monthAnchorDay }, now);
const period = (window: 'day' | 'week' | 'month', iso: string, zone = 'UTC', anchor = 1) => {
  const now = at(iso);
  const p = periodOf(window, now, cal(zone, anchor, now));
  return [new Date(p.start).toISOString(), p.end === null ? null : new Date(p.end).toISOString()];
};

describe('days at local midnight', () => {
  it('Europe/Berlin: 23 hours on the spring-forward day, 25 on the fall-back day', () => {
    expect(period('day', '2026-03-29T12:00:00Z', 'Europe/Berlin')).toEqual(['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(period('day', '2026-10-25T12:00:00Z', 'Europe/Berlin')).toEqual(['2026-10-24T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    // Just before and after the change itself (01:00 UTC both times).
    expect(period('day', '2026-03-29T00:59:59Z', 'Europe/Berlin')[0]).toBe('2026-03-28T23:00:00.000Z');
    expect(period('day', '2026-10-25T01:00:00Z', 'Europe/Berlin')[0]).toBe('2026-10-24T22:00:00.000Z');
  });

  it('America/New_York: 23 and 25 hours, in the other hemisphere of the year', () => {
    expect(period('day', '2026-03-08T15:00:00Z', 'America/New_York')).toEqual(['2026-03-08T05:00:00.000Z', '2026-03-09T04:00:00.000Z']);
    expect(period('day', '2026-11-01T15:00:00Z', 'America/New_York')).toEqual(['2026-11-01T04:00:00.000Z', '2026-11-02T05:00:00.000Z']);
    // 23:30 local on Saturday 7 March is still Saturday.
    expect(period('day', '2026-03-08T04:30:00Z', 'America/New_York')).toEqual(['2026-03-07T05:00:00.000Z', '2026-03-08T05:00:00.000Z']);
  });

  it('a zone without DST is a fixed shift: Moscow resets at 21:00 UTC', () => {
    expect(period('day', '2026-11-23T20:59:59Z', 'Europe/Moscow')).toEqual(['2026-11-22T21:00:00.000Z', '2026-11-23T21:00:00.000Z']);
    expect(period('day', '2026-11-23T21:00:00Z', 'Europe/Moscow')[0]).toBe('2026-11-23T21:00:00.000Z');
  });

  it('a midnight a DST change skips starts the day at the change (America/Santiago, September)', () => {
    const zone = 'America/Santiago';
    // Find the spring change of 2026 and check the day it starts begins at the change itself.
    let t = at('2026-08-25T00:00:00Z');
    while (offsetAt(zone, t) === offsetAt(zone, at('2026-08-25T00:00:00Z'))) t += 3_600_000;
    const [start, end] = period('day', new Date(t + 6 * 3_600_000).toISOString(), zone);
    expect(Date.parse(start as string)).toBe(t);
    expect(Date.parse(end as string) - t).toBe(23 * 3_600_000);
  });

  it('every day start is local 00:00 (or the first instant after it), checked against Intl', () => {
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham']) {
      for (let t = at('2026-01-01T07:00:00Z'); t < at('2027-01-01T00:00:00Z'); t += 5 * 86_400_000 + 3_599_000) {
        const p = periodOf('day', t, cal(zone, 1, t));
        expect(p.start).toBeLessThanOrEqual(t);
        expect(p.end).toBeGreaterThan(t);
        const local = (ms: number) => new Date(ms + offsetAt(zone, ms)).toISOString();
        expect(local(p.start).slice(11)).toBe('00:00:00.000Z');
        expect(local(p.start).slice(0, 10)).toBe(local(t).slice(0, 10));
      }
    }
  });
});

describe('ISO weeks', () => {
  it('run Monday to Monday across a year end (2026 into 2027, and the 53rd week of 2020)', () => {
    const w2026 = ['2026-12-28T00:00:00.000Z', '2027-01-04T00:00:00.000Z'];
    expect(period('week', '2026-12-31T23:59:59Z')).toEqual(w2026);
    expect(period('week', '2027-01-03T23:59:59Z')).toEqual(w2026);
    expect(period('week', '2027-01-04T00:00:00Z')[0]).toBe('2027-01-04T00:00:00.000Z');
    expect(period('week', '2021-01-01T12:00:00Z')).toEqual(['2020-12-28T00:00:00.000Z', '2021-01-04T00:00:00.000Z']);
  });

  it('start at local Monday midnight in the user zone', () => {
    // Auckland is UTC+13 in January: Monday 00:00 there is Sunday 11:00 UTC.
    expect(period('week', '2027-01-03T11:00:00Z', 'Pacific/Auckland')).toEqual(['2027-01-03T11:00:00.000Z', '2027-01-10T11:00:00.000Z']);
    expect(period('week', '2027-01-03T10:59:59Z', 'Pacific/Auckland')[0]).toBe('2026-12-27T11:00:00.000Z');
    // A week holding Berlin's fall-back Sunday is 7 days and one hour long.
    expect(period('week', '2026-10-22T12:00:00Z', 'Europe/Berlin')).toEqual(['2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
  });
});

describe('monthly anchors', () => {
  it('the 31st renews on the last day of shorter months', () => {
    expect(period('month', '2026-02-10T00:00:00Z', 'UTC', 31)).toEqual(['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z']);
    expect(period('month', '2026-03-15T00:00:00Z', 'UTC', 31)).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']);
    expect(period('month', '2026-04-30T00:00:00Z', 'UTC', 31)).toEqual(['2026-04-30T00:00:00.000Z', '2026-05-31T00:00:00.000Z']);
    expect(period('month', '2028-02-29T00:00:00Z', 'UTC', 31)).toEqual(['2028-02-29T00:00:00.000Z', '2028-03-31T00:00:00.000Z']);
  });

  it('the 29th and 30th: February clamps, leap years keep the 29th', () => {
    expect(period('month', '2026-02-28T12:00:00Z', 'UTC', 29)).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-29T00:00:00.000Z']);
    expect(period('month', '2028-02-28T12:00:00Z', 'UTC', 29)).toEqual(['2028-01-29T00:00:00.000Z', '2028-02-29T00:00:00.000Z']);
    expect(period('month', '2026-03-29T12:00:00Z', 'UTC', 30)).toEqual(['2026-02-28T00:00:00.000Z', '2026-03-30T00:00:00.000Z']);
  });

  it('an anchor across a year end, in a zone: the 17th in New York', () => {
    expect(period('month', '2027-01-10T12:00:00Z', 'America/New_York', 17)).toEqual(['2026-12-17T05:00:00.000Z', '2027-01-17T05:00:00.000Z']);
    // The 17th of March 2026 is after New York's change: 04:00 UTC.
    expect(period('month', '2026-03-01T12:00:00Z', 'America/New_York', 17)).toEqual(['2026-02-17T05:00:00.000Z', '2026-03-17T04:00:00.000Z']);
  });
});

it('knows an IANA zone from a typo', () => {
  expect(isTimeZone('Europe/Moscow')).toBe(true);
  expect(isTimeZone('Europe/Moskva')).toBe(false);
});
