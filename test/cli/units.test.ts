import { describe, expect, it } from 'vitest';
import { count, usd, when } from '../../src/cli/units.js';

describe('CLI units', () => {
  it('shows counts as K, M and G past a thousand', () => {
    expect([0, 999, 1000, 1234, 12_345, 123_456, 1_250_000, 3_000_000_000].map(count)).toEqual(['0', '999', '1K', '1.2K', '12.3K', '123K', '1.3M', '3G']);
    expect(count(null)).toBe('-');
  });
  it('shows micro-dollars as dollars: two significant digits below a cent, cents above', () => {
    expect([0, 4200, 147, 1, 9_999, 10_000, 5_000_000, 1_234_567_890].map(usd)).toEqual(['$0.00', '$0.0042', '$0.00015', '$0.000001', '$0.01', '$0.01', '$5.00', '$1,234.57']);
  });
  it('shows times in UTC to the second', () => {
    expect(when('2026-11-23T12:00:00.123Z')).toBe('2026-11-23 12:00:00Z');
    expect(when(null)).toBe('-');
  });
});
