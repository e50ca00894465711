// The outbox: events recorded by reserve and settle in the same atomic step as the refusal or
// charge that caused them, kept until every webhook has them. Deliveries are claimed, retried
// after a backoff, and taken over from a replica that died holding them (at-least-once).
import type { Dimension, Window } from '../limits/vocabulary.js';

export type EventType = 'threshold' | 'refused' | 'conversation_budget';

export interface StoredEvent {
  /** Derived from what happened (user, limit, period, threshold): one crossing has one id. */
  readonly id: string;
  readonly type: EventType;
  /** ms since epoch. */
  readonly time: number;
  readonly user: string;
  readonly dimension: Dimension | 'parallel';
  readonly window: Window | 'instant';
  readonly scope: 'user' | 'conversation';
  readonly limit: number;
  /** The counter's `used` right after the charge (threshold) or at the refusal. */
  readonly used: number;
  /** The fraction crossed as configured ("0.8"); null for a refusal. */
  readonly threshold: string | null;
  /** ms since epoch; null for a conversation tree (lifetime). */
  readonly periodStart: number | null;
  /** The tree's root, for a conversation's events. */
  readonly conversation: string | null;
}

export interface Delivery {
  readonly event: StoredEvent;
  /** Where the outbox keeps this delivery (opaque to the deliverer). */
  readonly ref: string;
  /** This attempt's number, from 1. */
  readonly attempt: number;
}

export interface DeliveryState {
  readonly webhook: string;
  readonly status: 'pending' | 'retrying' | 'delivered' | 'skipped';
  readonly attempts: number;
  readonly lastError: string | null;
  readonly lastAttemptAt: number | null;
  readonly deliveredAt: number | null;
}

export interface ClaimPolicy {
  /** How long an attempt that has not been reported holds its delivery before another replica may retry it. */
  readonly retryAfter: (attempts: number) => number;
  readonly count: number;
}

export interface Outbox {
  /** A webhook gets the events recorded from its first subscription on (not the backlog before it existed). */
  subscribe(webhook: string): Promise<void>;
  /** Newest first; only `user`'s when given. */
  recent(user: string | null, limit: number): Promise<StoredEvent[]>;
  /** Delivery state of these events at each webhook (a webhook with no attempt yet: pending). */
  states(events: readonly StoredEvent[], webhooks: readonly string[]): Promise<Map<string, DeliveryState[]>>;
  /** Claims, for `consumer`, deliveries to `webhook` that are new or due for a retry. */
  due(webhook: string, consumer: string, policy: ClaimPolicy): Promise<Delivery[]>;
  /** The webhook has it (or does not want it: `skipped`): never delivered again. */
  delivered(webhook: string, d: Delivery, at: number, skipped?: boolean): Promise<void>;
  /** The attempt failed: the delivery stays claimed and is retried once `retryAfter` has passed. */
  failed(webhook: string, d: Delivery, error: string, at: number): Promise<void>;
}

/** The event id: the same string hashed in Lua (events.lua) and here. */
export function eventIdSource(e: Pick<StoredEvent, 'user' | 'type' | 'dimension' | 'window' | 'periodStart' | 'threshold' | 'conversation'>): string {
  return [e.user, e.type, e.dimension, e.window, e.periodStart ?? '', e.threshold ?? '', e.conversation ?? ''].join('|');
}
