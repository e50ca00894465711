// A limit the store refused, as the error a client sees: status, code, the limit's facts (with
// what this request needed of it), a message that says both, and the headers that tell an SDK
// when (and whether) to retry.
import type { CounterCheck, LimitState, ReserveResult } from '../store/types.js';
import { GatewayError } from '../core/errors.js';
import { DIMENSION_INFO, WINDOW_INFO, type DimensionInfo, type Window } from '../limits/vocabulary.js';
import { limitHeaders, remainingOf } from './limit-headers.js';

type Denied = Extract<ReserveResult, { ok: false }>;

/** What the request asked of its limits, as its plan (plan/plan.ts) puts it. */
export interface Asked {
  readonly checks: readonly CounterCheck[];
  readonly spend: { readonly fixed: number; readonly perOutput: number };
  readonly maxOutput: number;
  readonly promptEstimate: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));

const fmt = (n: number): string => n.toLocaleString('en-US');
/** The registry's facts of a refused limit's dimension (none for `parallel`). */
const infoOf = (s: LimitState): DimensionInfo | undefined => (DIMENSION_INFO as Readonly<Record<string, DimensionInfo>>)[s.dimension];
const whenOf = (s: LimitState): string => (WINDOW_INFO as Readonly<Record<string, { when: string }>>)[s.window]?.when ?? `this ${s.window as Window}`;

/** What this request needed of the refused limit: its prompt estimate and output ceiling, in the limit's unit. */
function requestedOf(s: LimitState, plan: Asked): number {
  if (s.dimension === 'parallel') return 1;
  if (s.scope === 'conversation') return plan.spend.fixed + Math.ceil(plan.spend.perOutput * plan.maxOutput);
  const c = plan.checks.find((k) => k.dimension === s.dimension && k.window === s.window && k.limit !== null);
  return c ? c.fixed + Math.ceil(c.perOutput * plan.maxOutput) : 0;
}

function describe(s: LimitState, requested: number, plan: Asked): string {
  if (s.dimension === 'parallel') return `too many requests in flight (limit ${s.limit})`;
  const info = infoOf(s);
  const [one, many] = info?.unit ?? [s.dimension, s.dimension];
  const per = s.window === 'lifetime' ? 'for this conversation tree' : `per ${s.window}`;
  const output = plan.maxOutput * (plan.checks.find((c) => c.dimension === 'tokens')?.perOutput ?? 1);
  const parts = info?.metered
    ? ` (prompt ≈ ${fmt(plan.promptEstimate)}${s.dimension === 'tokens' ? '' : ' tokens'}, output up to ${fmt(output)}${s.dimension === 'tokens' ? '' : ' tokens'})` : '';
  const left = remainingOf(s);
  return `this request needs ${parts ? 'up to ' : ''}${fmt(requested)} ${requested === 1 ? one : many}${parts}; `
    + `${fmt(left)} remain${left === 1 ? 's' : ''} ${whenOf(s)} `
    + `(${s.scope === 'key' ? "this key's " : ''}${info?.label ?? s.dimension} limit ${fmt(s.limit)} ${per}, used ${fmt(s.used)}, in flight ${fmt(s.reserved)})`;
}

/** `moreHeaders`: the route's provider's own rate-limit headers (Anthropic's), added beside Tollgate's. */
export function denialError(result: Denied, request: { readonly model: string; readonly plan: Asked }, now: number,
  moreHeaders?: (states: readonly LimitState[], now: number, h: Record<string, string>) => void): GatewayError {
  const { model, plan } = request;
  const s = result.denied;
  const requested = requestedOf(s, plan);
  const why = describe(s, requested, plan);
  const headers: Record<string, string> = limitHeaders(result.states, now);
  moreHeaders?.(result.states, now, headers);
  if (result.unpriced) {
    return new GatewayError({ status: 400, code: 'unpriced_model', param: 'model', headers,
      message: `model '${model}' has no price, and this conversation tree has a spend budget` });
  }
  const facts = {
    dimension: s.dimension, window: s.window, requested, limit: s.limit, used: s.used, reserved: s.reserved,
    remaining: remainingOf(s), resets_at: iso(s.resetsAt),
  };
  const resetSec = s.resetsAt === null ? null : Math.max(1, Math.ceil((s.resetsAt - now) / 1000));
  if (s.scope === 'conversation') {
    return new GatewayError({ status: 409, code: 'conversation_budget_exceeded', type: 'insufficient_quota',
      message: `Conversation budget exhausted: ${why}`, details: { scope: 'chat_lifetime', ...facts },
      headers: { ...headers, 'x-should-retry': 'false' } });
  }
  if (resetSec !== null) headers['retry-after'] = String(resetSec);
  if (infoOf(s)?.quota) {
    const extra = s.dimension === 'credits' ? { creditsUsed: s.used, creditsLimit: s.limit } : {};
    return new GatewayError({ status: 402, code: 'insufficient_quota', type: 'insufficient_quota',
      message: `You exceeded your current quota: ${why}`, details: { scope: s.scope === 'key' ? 'key' : 'account_period', ...facts, ...extra },
      headers: { ...headers, 'x-should-retry': 'false' } });
  }
  if (s.dimension === 'parallel') headers['retry-after'] = '1';
  else if (resetSec !== null && resetSec > 60) headers['x-should-retry'] = 'false';
  return new GatewayError({ status: 429, code: 'rate_limit_exceeded', type: s.dimension === 'tokens' ? 'tokens' : 'requests',
    message: `Rate limit reached: ${why}`, details: { scope: s.dimension === 'parallel' ? 'concurrency' : s.scope === 'key' ? 'key' : 'account_period', ...facts },
    headers });
}
