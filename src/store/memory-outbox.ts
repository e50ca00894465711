// The embedded store's outbox: events and their delivery state per webhook, in plain data and Maps
// (OutboxState) so that it can be kept with the rest of the memory store's state: a store that
// persists must save `state` and replay the outbox calls that change it (subscribe, due,
// delivered, failed — they read time only through `now`), as it does reserve and settle. One
// process: a delivery is claimed by counting an attempt, and retried once its backoff has passed.
import { createHash } from 'node:crypto';
import type { ClaimPolicy, Delivery, DeliveryState, Outbox, StoredEvent } from './outbox.js';
import { EVENTS_MAX } from './keys.js';
import { eventIdSource } from './outbox.js';

export interface OutboxState {
  events: StoredEvent[];
  /** Sequence number of events[0]. */
  base: number;
  /** Per webhook: the next sequence number not yet seen, and every delivery not yet finished or kept for show. */
  webhooks: Map<string, { next: number; states: Map<string, DeliveryState & { seq: number }> }>;
}

export interface MemoryOutbox extends Outbox {
  readonly state: OutboxState;
  /** Records an event unless `marks` (a counter's or tree's) already holds `marker`; true when recorded. */
  record(marks: string[], marker: string, e: Omit<StoredEvent, 'id'>): boolean;
}

export function eventId(e: Omit<StoredEvent, 'id'>): string {
  return `evt_${createHash('sha1').update(eventIdSource(e)).digest('hex').slice(0, 24)}`;
}

export const emptyOutboxState = (): OutboxState => ({ events: [], base: 0, webhooks: new Map() });

export function createMemoryOutbox(now: () => number, state: OutboxState = emptyOutboxState()): MemoryOutbox {

  const hook = (webhook: string) => {
    let h = state.webhooks.get(webhook);
    if (!h) {
      h = { next: state.base + state.events.length, states: new Map() };
      state.webhooks.set(webhook, h);
    }
    return h;
  };
  const at = (seq: number): StoredEvent | undefined => state.events[seq - state.base];

  function due(webhook: string, _consumer: string, policy: ClaimPolicy): Promise<Delivery[]> {
    const h = hook(webhook);
    const t = now();
    const out: Delivery[] = [];
    for (const [, s] of h.states) {
      if (out.length >= policy.count) break;
      const event = at(s.seq);
      if (s.status !== 'retrying' && s.status !== 'pending') continue;
      if (!event || t - (s.lastAttemptAt ?? 0) < policy.retryAfter(s.attempts)) continue;
      h.states.set(event.id, { ...s, attempts: s.attempts + 1, lastAttemptAt: t });
      out.push({ event, ref: String(s.seq), attempt: s.attempts + 1 });
    }
    h.next = Math.max(h.next, state.base);
    while (out.length < policy.count && h.next < state.base + state.events.length) {
      const seq = h.next++;
      const event = at(seq) as StoredEvent;
      h.states.set(event.id, { seq, webhook, status: 'pending', attempts: 1, lastError: null, lastAttemptAt: t, deliveredAt: null });
      out.push({ event, ref: String(seq), attempt: 1 });
    }
    return Promise.resolve(out);
  }

  function finish(webhook: string, d: Delivery, s: DeliveryState): Promise<void> {
    hook(webhook).states.set(d.event.id, { ...s, seq: Number(d.ref) });
    return Promise.resolve();
  }

  return {
    state,
    subscribe: (webhook) => (hook(webhook), Promise.resolve()),
    record(marks, marker, e) {
      if (marks.includes(marker)) return false;
      marks.push(marker);
      state.events.push({ id: eventId(e), ...e });
      if (state.events.length > EVENTS_MAX * 1.25) {
        const drop = state.events.length - EVENTS_MAX;
        state.events.splice(0, drop);
        state.base += drop;
        for (const h of state.webhooks.values()) for (const [id, s] of h.states) if (s.seq < state.base) h.states.delete(id);
      }
      return true;
    },
    recent: (user, limit) => {
      const list: StoredEvent[] = [];
      for (let i = state.events.length - 1; i >= 0 && list.length < limit; i--) {
        const e = state.events[i] as StoredEvent;
        if (user === null || e.user === user) list.push(e);
      }
      return Promise.resolve(list);
    },
    states: (events, webhooks) => Promise.resolve(new Map(events.map((e) => [e.id, webhooks.map((w): DeliveryState => {
      const s = state.webhooks.get(w)?.states.get(e.id);
      if (!s) return { webhook: w, status: 'pending', attempts: 0, lastError: null, lastAttemptAt: null, deliveredAt: null };
      const { seq: _seq, ...shown } = s;
      return shown;
    })]))),
    due,
    delivered: (webhook, d, t, skipped = false) =>
      finish(webhook, d, { webhook, status: skipped ? 'skipped' : 'delivered', attempts: d.attempt, lastError: null, lastAttemptAt: t, deliveredAt: t }),
    failed: (webhook, d, error, t) =>
      finish(webhook, d, { webhook, status: 'retrying', attempts: d.attempt, lastError: error, lastAttemptAt: t, deliveredAt: null }),
  };
}
