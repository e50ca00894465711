// Sequences the differential test once shrunk to, kept so they run every time (each also has a
// contract case in contract.ts saying the rule in words).
import type { Cmd } from './differential-model.js';

const T = Date.UTC(2026, 10, 23, 12, 0, 0);

const reserve = (over: Partial<Extract<Cmd, { t: 'reserve' }>> = {}): Cmd => ({
  t: 'reserve', user: 0, checks: [], maxOutput: 0, minOutput: 0, soft: false, parallel: null, ttlMs: 2000, conv: null,
  spend: { fixed: 0, per: 0, priced: false }, ...over,
});

export const REGRESSIONS: ReadonlyArray<readonly [string, Cmd[], number]> = [
  ['in flight counts reservations made without a parallel limit (memory counted only limited ones)',
    [reserve(), reserve(), reserve(), reserve({ parallel: 2 }), { t: 'peek', user: 0, checks: [], parallel: 3, conv: null }], T],
  ['a root first named as a parent is found by its own id (Redis wrote no root for it)',
    [reserve({ conv: { id: 1, parent: 0, budget: null } }), { t: 'tick', ms: 1 }], T],
  ['peek reclaims nothing (memory gave back an expired reservation on peek, Redis on the next reserve)',
    [reserve({ user: 1, checks: [[0, 2]] }), { t: 'tick', ms: 2000 }, reserve()], T],
  ['crashed reservations past the 20 the reserve script reclaims per call',
    [...Array.from({ length: 25 }, () => reserve({ checks: [[4, 8]], maxOutput: 10, ttlMs: 600_000 })),
      { t: 'jump', to: 'minute', offsetMs: 0 }, { t: 'tick', ms: 600_000 }, reserve({ checks: [[4, 8]], maxOutput: 10 })], T],
];
