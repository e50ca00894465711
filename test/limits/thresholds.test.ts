// Threshold settings: one list or lists per limit name, validated at start-up; crossing points are
// exact integers; a webhook's secret comes from the environment and must be there.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/loader.js';
import { createThresholds, crossingPoint } from '../../src/limits/thresholds.js';

describe('thresholds', () => {
  it('crossing points are ceilings without float noise', () => {
    expect(crossingPoint(1000, 0.7)).toBe(700);
    expect(crossingPoint(1000, 0.8)).toBe(800);
    expect(crossingPoint(3, 0.5)).toBe(2);
    expect(crossingPoint(5_000_000, 1)).toBe(5_000_000);
  });

  it('default to 50, 80 and 100 %, and may be set per limit name', () => {
    const plain = createThresholds(loadConfig({}).thresholds);
    expect(plain('tokens_per_day', 1000)).toEqual([{ label: '0.5', point: 500 }, { label: '0.8', point: 800 }, { label: '1', point: 1000 }]);
    const per = createThresholds(loadConfig({}, process.cwd(), { thresholds: { default: [0.9], spend_micros_per_month: [0.25, 0.75] } }).thresholds);
    expect(per('spend_micros_per_month', 100)).toEqual([{ label: '0.25', point: 25 }, { label: '0.75', point: 75 }]);
    expect(per('tokens_per_day', 100)).toEqual([{ label: '0.9', point: 90 }]);
  });

  it('refuses a fraction past 1, an unknown limit name, and a webhook whose secret is not in the environment', () => {
    const problems = (env: Record<string, string>, overrides: Record<string, unknown>) => {
      try {
        loadConfig(env, process.cwd(), overrides);
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({}, { thresholds: [0.5, 1.5] }).join()).toMatch(/thresholds/);
    expect(problems({}, { thresholds: { tokens_per_year: [0.5] } }).join()).toMatch(/tokens_per_year/);
    const webhooks = [{ url: 'https://hooks.example.com/tollgate', secret_env: 'HOOK_SECRET' }];
    expect(problems({}, { webhooks }).join()).toMatch(/webhooks\.0\.secret_env: HOOK_SECRET/);
    const ok = loadConfig({ HOOK_SECRET: 's'.repeat(32) }, process.cwd(), { webhooks });
    expect(ok.webhooks[0]).toMatchObject({ url: 'https://hooks.example.com/tollgate', secret: 's'.repeat(32), events: ['threshold', 'refused', 'conversation_budget'] });
  });
});
