// A limit the store refused, as the error a client sees: status, code, the limit's facts, and
// the headers that tell an SDK when (and whether) to retry.
import type { LimitState, ReserveResult } from '../store/types.js';
import { GatewayError } from './errors.js';
import { limitHeaders, remainingOf } from './limit-headers.js';

type Denied = Extract<ReserveResult, { ok: false }>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));

function describe(s: LimitState): string {
  if (s.dimension === 'parallel') return `too many requests in flight (limit ${s.limit})`;
  const what = s.dimension === 'spend_micros' ? 'spend (micro-USD)' : s.dimension;
  const per = s.window === 'lifetime' ? 'for this conversation tree' : `per ${s.window}`;
  return `${what} limit of ${s.limit} ${per} reached (used ${s.used}, in flight ${s.reserved})`;
}

export function denialError(result: Denied, model: string, now: number): GatewayError {
  const s = result.denied;
  const headers: Record<string, string> = limitHeaders(result.states, now);
  if (result.unpriced) {
    return new GatewayError({ status: 400, code: 'unpriced_model', param: 'model', headers,
      message: `model '${model}' has no price, and this conversation tree has a spend budget` });
  }
  const facts = {
    dimension: s.dimension, window: s.window, limit: s.limit, used: s.used, reserved: s.reserved,
    remaining: remainingOf(s), resets_at: iso(s.resetsAt),
  };
  const resetSec = s.resetsAt === null ? null : Math.max(1, Math.ceil((s.resetsAt - now) / 1000));
  if (s.scope === 'conversation') {
    return new GatewayError({ status: 409, code: 'conversation_budget_exceeded', type: 'insufficient_quota',
      message: `Conversation budget exhausted: ${describe(s)}`, details: { scope: 'chat_lifetime', ...facts },
      headers: { ...headers, 'x-should-retry': 'false' } });
  }
  if (resetSec !== null) headers['retry-after'] = String(resetSec);
  if (s.dimension === 'credits' || s.dimension === 'spend_micros') {
    const extra = s.dimension === 'credits' ? { creditsUsed: s.used, creditsLimit: s.limit } : {};
    return new GatewayError({ status: 402, code: 'insufficient_quota', type: 'insufficient_quota',
      message: `You exceeded your current quota: ${describe(s)}`, details: { scope: 'account_period', ...facts, ...extra },
      headers: { ...headers, 'x-should-retry': 'false' } });
  }
  if (s.dimension === 'parallel') headers['retry-after'] = '1';
  else if (resetSec !== null && resetSec > 60) headers['x-should-retry'] = 'false';
  return new GatewayError({ status: 429, code: 'rate_limit_exceeded', type: s.dimension === 'tokens' ? 'tokens' : 'requests',
    message: `Rate limit reached: ${describe(s)}`, details: { scope: s.dimension === 'parallel' ? 'concurrency' : 'account_period', ...facts },
    headers });
}
