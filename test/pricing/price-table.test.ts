import { describe, expect, it } from 'vitest';
import { costMicros, createPriceTable } from '../../src/pricing/price-table.js';
import type { Usage } from '../../src/meter/usage.js';

const table = createPriceTable({
  'gpt-4o-mini': { input: 0.15, cached_input: 0.075, output: 0.6 },
  'gpt-4o': { input: 2.5, cached_input: 1.25, output: 10 },
  'grok-3-mini': { input: 0.3, cached_input: 0.075, output: 0.5 },
});

const usage = (u: Partial<Usage>): Usage => ({ promptTokens: 0, completionTokens: 0, totalTokens: 0, cachedTokens: 0, reasoningTokens: 0, reasoningIncluded: true, costMicros: null, ...u });

describe('prices', () => {
  it('matches exact names first, then the longest prefix (dated snapshots)', () => {
    expect(table.lookup('gpt-4o-mini-2024-07-18')?.input).toBe(150_000);
    expect(table.lookup('gpt-4o-2024-08-06')?.input).toBe(2_500_000);
    expect(table.lookup('claude-3')).toBeNull();
  });

  it('prices cached and reasoning tokens, rounding up to whole micros', () => {
    // Responses capture: 9463 in (8320 cached), 582 out (512 reasoning), priced as gpt-4o-mini.
    const u = usage({ promptTokens: 9463, cachedTokens: 8320, completionTokens: 582, reasoningTokens: 512 });
    const expected = Math.ceil(((9463 - 8320) * 150_000 + 8320 * 75_000 + 70 * 600_000 + 512 * 600_000) / 1e6);
    expect(costMicros(u, table.lookup('gpt-4o-mini'))).toBe(expected);
  });

  it('reproduces xAI\'s own figure when reasoning is outside completion tokens', () => {
    // xAI capture: 12 prompt (11 cached), 1 completion + 290 reasoning = 1466250 ticks = 146.625 micros.
    const u = usage({ promptTokens: 12, cachedTokens: 11, completionTokens: 1, reasoningTokens: 290, reasoningIncluded: false });
    expect(costMicros(u, table.lookup('grok-3-mini'))).toBe(147);
  });

  it('a cost the provider reported wins, zero included', () => {
    expect(costMicros(usage({ promptTokens: 100, costMicros: 0 }), table.lookup('gpt-4o'))).toBe(0);
    expect(costMicros(usage({ promptTokens: 100, costMicros: 669 }), table.lookup('gpt-4o'))).toBe(669);
  });

  it('has no cost for an unpriced model', () => {
    expect(costMicros(usage({ promptTokens: 100 }), null)).toBeNull();
  });
});
