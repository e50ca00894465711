import { describe, expect, it } from 'vitest';
import { ALL_LIMIT_FIELDS, effectiveLimits, limitByName } from '../../src/limits/vocabulary.js';
import { periodOf } from '../../src/limits/windows.js';

describe('limits as data', () => {
  it('names every dimension × window the way config and the admin API do', () => {
    expect(ALL_LIMIT_FIELDS).toEqual(expect.arrayContaining(['requests_per_minute', 'messages_per_day', 'tokens_per_day',
      'message_credits_per_month', 'spend_micros_per_month', 'spend_micros_per_day', 'max_parallel_requests']));
    expect(limitByName('message_credits_per_month')).toEqual({ name: 'message_credits_per_month', dimension: 'credits', window: 'month' });
  });

  it('a user value overrides the default, null and absent fall back to it, no default is unlimited', () => {
    const defaults = { tokens_per_day: 500, messages_per_day: 100 };
    expect(effectiveLimits(defaults, { tokens_per_day: 7, messages_per_day: null, requests_per_day: 3 })).toEqual({ tokens_per_day: 7, messages_per_day: 100, requests_per_day: 3 });
    expect(effectiveLimits({}, {})).toEqual({});
  });

  it('windows start at 00:00 UTC, the 1st of the month, the minute', () => {
    const t = Date.UTC(2026, 1, 28, 23, 59, 30, 500);
    expect(periodOf('minute', t)).toEqual({ start: Date.UTC(2026, 1, 28, 23, 59), end: Date.UTC(2026, 2, 1) });
    expect(periodOf('day', t)).toEqual({ start: Date.UTC(2026, 1, 28), end: Date.UTC(2026, 2, 1) });
    expect(periodOf('month', t)).toEqual({ start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) });
    expect(periodOf('lifetime', t)).toEqual({ start: 0, end: null });
  });
});
