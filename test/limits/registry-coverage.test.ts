// Walks the registry (src/limits/vocabulary.ts) and checks that every consumer covers every
// dimension and window: adding one there and forgetting a consumer fails here, not in production.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLimits } from '../../src/admin/validate.js';
import { DIMS } from '../../src/admin/usage.js';
import { usageTable, usersTable } from '../../src/cli/views.js';
import { denialError } from '../../src/http/denial.js';
import { limitHeaders } from '../../src/http/limit-headers.js';
import { periodOf, retentionMs } from '../../src/limits/windows.js';
import {
  ALL_LIMIT_FIELDS, DIMENSION_INFO, DIMENSIONS, LIMIT_NAMES, LIMITED_DIMENSIONS, USER_WINDOWS, WINDOW_INFO, WINDOWS,
} from '../../src/limits/vocabulary.js';
import type { Plan } from '../../src/plan/plan.js';
import { promptMatters } from '../../src/plan/plan.js';
import { NOTHING } from '../../src/settle/amounts.js';
import { ROLLUP_DIMS } from '../../src/store/rollup.js';
import type { LimitState } from '../../src/store/types.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const plan = { checks: [], maxOutput: 100, promptEstimate: 10, spend: { fixed: 1, perOutput: 1, priced: true } } as unknown as Plan;
const state = (dimension: LimitState['dimension'], window: LimitState['window']): LimitState =>
  ({ dimension, window, scope: 'user', limit: 10, used: 10, reserved: 0, resetsAt: NOW + 60_000 });

describe('the registry covers every consumer', () => {
  it('names a limit for every limited dimension × user window, and admin validation accepts each', () => {
    expect(LIMIT_NAMES.length).toBe(LIMITED_DIMENSIONS.length * USER_WINDOWS.length);
    expect(new Set(ALL_LIMIT_FIELDS).size).toBe(ALL_LIMIT_FIELDS.length);
    expect(parseLimits(Object.fromEntries(ALL_LIMIT_FIELDS.map((f) => [f, 1])))).toEqual(Object.fromEntries(ALL_LIMIT_FIELDS.map((f) => [f, 1])));
    for (const d of DIMENSIONS) expect(LIMIT_NAMES.some((l) => l.dimension === d)).toBe(DIMENSION_INFO[d].limitName !== null);
  });

  it('every window has a period, a retention and words for a refusal', () => {
    for (const w of WINDOWS) {
      expect(periodOf(w, NOW).start).toBeLessThanOrEqual(NOW);
      expect(retentionMs(w)).toBe(WINDOW_INFO[w].retentionMs);
      expect(WINDOW_INFO[w].when).not.toBe('');
    }
  });

  it('every limited dimension has its own limit headers, with each window in the policy', () => {
    const names = new Set<string>();
    for (const d of LIMITED_DIMENSIONS) {
      for (const w of USER_WINDOWS) {
        const h = limitHeaders([state(d, w)], NOW);
        const header = DIMENSION_INFO[d].header;
        expect(h[`x-ratelimit-limit-${header}`]).toBe('10');
        expect(h['ratelimit-policy']).toBe(`"${header}-${w}";q=10;w=${WINDOW_INFO[w].seconds}`);
        names.add(header);
      }
    }
    expect(names.size).toBe(LIMITED_DIMENSIONS.length);
  });

  it('every limited dimension × window refuses in its own words: 402 for a quota, 429 for a rate', () => {
    for (const d of LIMITED_DIMENSIONS) {
      for (const w of USER_WINDOWS) {
        const e = denialError({ ok: false, denied: state(d, w), states: [state(d, w)] } as never, { model: 'm', plan }, NOW);
        const info = DIMENSION_INFO[d];
        expect(e.status).toBe(info.quota ? 402 : 429);
        expect(e.message).toContain(` ${info.unit[1]}`);
        expect(e.message).toContain(` ${WINDOW_INFO[w].when} `);
        expect(e.message).toContain(`${info.label} limit 10 per ${w}`);
      }
    }
  });

  it('every dimension is settled, indexed and reported', () => {
    expect(Object.keys(NOTHING).sort()).toEqual([...DIMENSIONS].sort());
    expect(ROLLUP_DIMS).toEqual(DIMENSIONS);
    expect(DIMS).toEqual(DIMENSIONS);
    const row = { id: 'u', ...Object.fromEntries(DIMENSIONS.map((d, i) => [d, 1000 + i])), limits: {} };
    const out = usageTable([row]);
    for (const d of DIMENSIONS) expect(out).toContain(DIMENSION_INFO[d].label);
  });

  it('the prompt matters exactly when a metered dimension has a limit', () => {
    for (const l of LIMIT_NAMES) expect(promptMatters({ [l.name]: 1 }, null)).toBe(DIMENSION_INFO[l.dimension].metered);
  });

  it('the CLI shows every limit a user sets, money as dollars', () => {
    const out = usersTable([{ id: 'u', disabled: false, createdAt: NOW, limits: Object.fromEntries(ALL_LIMIT_FIELDS.map((f) => [f, 5_000_000])) }]);
    for (const f of ALL_LIMIT_FIELDS) expect(out).toContain(f);
    expect(out).toContain('$5.00');
  });

  it("the dashboard's limit fields are real limit names, each labelled in every language", () => {
    const html = readFileSync(new URL('../../src/admin/dashboard.html', import.meta.url), 'utf8');
    const fields = JSON.parse(/const LIMIT_FIELDS = (\[[^\]]*\]);/s.exec(html)?.[1]?.replaceAll("'", '"') ?? '[]') as string[];
    expect(fields.length).toBeGreaterThan(0);
    for (const f of fields) {
      expect(ALL_LIMIT_FIELDS).toContain(f);
      expect(html.match(new RegExp(`\\b${f}: '`, 'g'))?.length).toBe(2);
    }
  });
});
