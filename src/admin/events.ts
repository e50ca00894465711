// GET /admin/events?user=&limit=: recent events, newest first, with their delivery state at every
// configured webhook.
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { eventBody, webhookId } from '../events/event-body.js';
import { badRequest } from '../core/errors.js';
import { parseUserId } from './validate.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function createEventRoutes(app: AppContext): Hono<AppEnv> {
  const events = new Hono<AppEnv>();
  const hooks = app.config.webhooks.map((w) => ({ url: w.url, id: webhookId(w.url) }));

  events.get('/', async (c) => {
    const raw = c.req.query('limit') ?? '100';
    const limit = Number(raw);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw badRequest("'limit' must be an integer from 1 to 1000", 'limit');
    const user = c.req.query('user');
    const recent = await app.store.outbox.recent(user === undefined ? null : parseUserId(user, 'user'), limit);
    const states = await app.store.outbox.states(recent, hooks.map((h) => h.id));
    return c.json({
      events: recent.map((e) => ({
        ...eventBody(e),
        deliveries: (states.get(e.id) ?? []).map((s, i) => ({
          url: hooks[i]?.url, status: s.status, attempts: s.attempts, last_error: s.lastError,
          last_attempt_at: iso(s.lastAttemptAt), delivered_at: iso(s.deliveredAt),
        })),
      })),
    });
  });
  return events;
}
