// What a receiver gets: the event as JSON (DESIGN.md, "Events"), the same in the webhook's body
// and in GET /admin/events.
import { createHash } from 'node:crypto';
import type { StoredEvent } from '../store/outbox.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function eventBody(e: StoredEvent) {
  return {
    id: e.id,
    type: e.type,
    time: iso(e.time),
    user: e.user,
    limit: { dimension: e.dimension, window: e.window, scope: e.scope, limit: e.limit, used: e.used },
    threshold: e.threshold === null ? null : Number(e.threshold),
    period_start: iso(e.periodStart),
    ...(e.conversation === null ? {} : { conversation: e.conversation }),
  };
}

/** A webhook's name in the outbox (its consumer group, its delivery state): stable for its URL. */
export const webhookId = (url: string): string => createHash('sha256').update(url).digest('hex').slice(0, 16);
