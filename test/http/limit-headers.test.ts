import { describe, expect, it } from 'vitest';
import { formatDuration, limitHeaders } from '../../src/http/limit-headers.js';
import type { LimitState } from '../../src/store/types.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

describe('limit headers', () => {
  it('formats durations the way OpenAI does', () => {
    expect(formatDuration(20)).toBe('20ms');
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(360_000)).toBe('6m0s');
    expect(formatDuration(86_399_000)).toBe('23h59m59s');
    expect(formatDuration(0)).toBe('0s');
  });

  it('reports the tightest window of each dimension, and the IETF pair', () => {
    const states: LimitState[] = [
      { dimension: 'requests', window: 'minute', scope: 'user', limit: 60, used: 10, reserved: 1, resetsAt: NOW + 30_000 },
      { dimension: 'requests', window: 'day', scope: 'user', limit: 100, used: 95, reserved: 1, resetsAt: NOW + 12 * 3_600_000 },
      { dimension: 'tokens', window: 'day', scope: 'user', limit: 1000, used: 100, reserved: 200, resetsAt: NOW + 12 * 3_600_000 },
      { dimension: 'spend_micros', window: 'month', scope: 'user', limit: 5_000_000, used: 10, reserved: 0, resetsAt: NOW + 86_400_000 },
      { dimension: 'spend_micros', window: 'lifetime', scope: 'conversation', limit: 1000, used: 400, reserved: 100, resetsAt: null },
    ];
    const h = limitHeaders(states, NOW);
    expect(h).toMatchObject({
      'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '4', 'x-ratelimit-reset-requests': '12h0m0s',
      'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '700',
      'x-ratelimit-limit-spend-micros': '5000000', 'x-conversation-spend-remaining-micros': '500',
    });
    expect(h['ratelimit-policy']).toBe('"requests-day";q=100;w=86400, "tokens-day";q=1000;w=86400, "spend-micros-month";q=5000000;w=2592000');
    expect(h.ratelimit).toBe('"requests-day";r=4;t=43200, "tokens-day";r=700;t=43200, "spend-micros-month";r=4999990;t=86400');
  });

  it('writes each call\'s own limits, whatever limits came before', () => {
    const state = (limit: number, window: LimitState['window']): LimitState => ({ dimension: 'messages', window, scope: 'key', limit, used: 1, reserved: 0, resetsAt: NOW + 60_000 });
    for (const [limit, window, policy] of [[10, 'week', '"messages-week";q=10;w=604800'], [20, 'week', '"messages-week";q=20;w=604800'],
      [10, 'week', '"messages-week";q=10;w=604800'], [10, 'minute', '"messages-minute";q=10;w=60']] as const) {
      const h = limitHeaders([state(limit, window)], NOW);
      expect(h['x-ratelimit-limit-messages']).toBe(String(limit));
      expect(h['ratelimit-policy']).toBe(policy);
    }
  });

  it('sends nothing for a dimension with no limit', () => {
    expect(limitHeaders([], NOW)).toEqual({});
  });
});
