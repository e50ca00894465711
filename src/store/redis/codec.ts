// Turns store requests into script arguments and script replies back into LimitStates.
import type { Dimension, Window } from '../../limits/vocabulary.js';
import { scopedDimension } from '../keys.js';
import type { CounterCheck, LimitState, ReserveRequest } from '../types.js';

type Reply = Array<string | number>;

export function reserveArgs(req: ReserveRequest, now: number): Array<string | number> {
  const args: Array<string | number> = [
    now, req.requestId, req.mode, req.maxOutput, req.minOutput, req.parallelLimit ?? '', req.ttlMs,
    req.conversation?.id ?? '', req.conversation?.parentId ?? '', req.conversation?.budgetMicros ?? '',
    req.spend.fixed, req.spend.perOutput, req.spend.priced ? 1 : 0,
    JSON.stringify(req.checks.map((c) => [scopedDimension(c), c.window, c.limit, c.fixed, c.perOutput])),
  ];
  return args;
}

/** Decodes the 6-value state records that follow `skip` header values. */
export function decodeStates(reply: Reply, skip: number, checks: readonly CounterCheck[]): LimitState[] {
  const states: LimitState[] = [];
  for (let i = skip; i + 5 < reply.length; i += 6) {
    const tag = String(reply[i]);
    const limit = Number(reply[i + 1]);
    const used = Number(reply[i + 2]);
    const reserved = Number(reply[i + 3]);
    const resets = Number(reply[i + 4]);
    const resetsAt = resets < 0 ? null : resets;
    if (tag === 'parallel') {
      states.push({ dimension: 'parallel', window: 'instant', scope: 'user', limit, used, reserved, resetsAt: null });
    } else if (tag === 'conv' || tag === 'conv-unpriced') {
      states.push({ dimension: 'spend_micros', window: 'lifetime', scope: 'conversation', limit, used, reserved, resetsAt: null });
    } else {
      const check = checks[Number(tag) - 1];
      if (!check) throw new Error(`script returned an unknown check ${tag}`);
      states.push({ dimension: check.dimension as Dimension, window: check.window as Window, scope: check.keyId === undefined ? 'user' : 'key', limit, used, reserved, resetsAt });
    }
  }
  return states;
}
