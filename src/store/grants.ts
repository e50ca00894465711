// Grants, the rules both stores share: extra allowance per dimension, spent only once a period's
// allowance is used up, soonest expiry first. The Redis scripts (lua/common.lua `grant_*`) do the
// same steps; the store contract and the differential test hold them together.
import type { GrantDimension } from '../limits/vocabulary.js';
import type { GrantState } from './types.js';

/** A stored grant (the Redis hash value, JSON): dimension, amount, used, expiry (ms | null), created. */
export interface StoredGrant { readonly d: GrantDimension; readonly n: number; readonly u: number; readonly x: number | null; readonly t: number }

/** Spending order: soonest expiry first (never last), then oldest, then id. */
export function spendOrder(a: { id: string; x: number | null; t: number }, b: { id: string; x: number | null; t: number }): number {
  const ax = a.x ?? Infinity;
  const bx = b.x ?? Infinity;
  if (ax !== bx) return ax < bx ? -1 : 1;
  if (a.t !== b.t) return a.t - b.t;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const live = (g: StoredGrant, now: number) => g.x === null || g.x > now;

/** What the live grants of one dimension still hold, less what requests in flight reserved of them (never below 0). */
export function grantBalance(grants: ReadonlyMap<string, StoredGrant>, dim: string, reserved: number, now: number): number {
  let left = 0;
  for (const g of grants.values()) if (g.d === dim && live(g, now)) left += g.n - g.u;
  return Math.max(0, left - reserved);
}

/** Takes `amount` from the live grants of `dim` in spending order; returns what it took (at most what they hold). */
export function drawGrants(grants: Map<string, StoredGrant>, dim: string, amount: number, now: number): number {
  let left = amount;
  const order = [...grants].filter(([, g]) => g.d === dim && live(g, now)).map(([id, g]) => ({ id, ...g })).sort(spendOrder);
  for (const g of order) {
    if (left <= 0) break;
    const take = Math.min(left, g.n - g.u);
    if (take <= 0) continue;
    grants.set(g.id, { d: g.d, n: g.n, u: g.u + take, x: g.x, t: g.t });
    left -= take;
  }
  return amount - left;
}

/** Grants as listed: spending order, each dimension's in-flight reservations shown on the grants they would be taken from. */
export function grantStates(grants: ReadonlyMap<string, StoredGrant>, reserved: Readonly<Record<string, number>>, now: number): GrantState[] {
  const toShow = { ...reserved };
  return [...grants].map(([id, g]) => ({ id, ...g })).sort(spendOrder).map((g) => {
    const free = live(g, now) ? g.n - g.u : 0;
    const held = Math.min(free, toShow[g.d] ?? 0);
    toShow[g.d] = (toShow[g.d] ?? 0) - held;
    return { id: g.id, dimension: g.d, amount: g.n, used: g.u, reserved: held, expiresAt: g.x, createdAt: g.t };
  });
}
