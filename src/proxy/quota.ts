// GET /v1/quota: every limit that applies to the caller's own key, and the conversation's when
// X-Conversation-Id is sent.
import type { Context } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { remainingOf } from '../http/limit-headers.js';
import { calendarFor } from '../limits/user-calendar.js';
import { LIMIT_NAMES, PARALLEL_LIMIT } from '../limits/vocabulary.js';
import { storeUnavailable } from '../core/errors.js';
import { header } from '../http/request-id.js';
import type { CounterCheck } from '../store/types.js';
import { readConversation } from './conversation.js';

export function createQuotaHandler(app: AppContext) {
  return async function quota(c: Context<AppEnv>): Promise<Response> {
    const principal = c.get('principal');
    const conversation = readConversation((n) => header(c, n));
    const checks: CounterCheck[] = [];
    for (const l of LIMIT_NAMES) {
      const limit = principal.limits[l.name];
      if (limit !== undefined) checks.push({ dimension: l.dimension, window: l.window, limit, fixed: 0, perOutput: 0 });
    }
    for (const l of LIMIT_NAMES) {
      const limit = principal.keyLimits?.[l.name];
      if (limit !== undefined) checks.push({ dimension: l.dimension, window: l.window, limit, fixed: 0, perOutput: 0, keyId: principal.keyId });
    }
    const states = await app.store.peek({
      userId: principal.userId, checks, parallelLimit: principal.limits[PARALLEL_LIMIT] ?? null, conversationId: conversation?.id ?? null,
      calendar: calendarFor(principal.calendar, app.clock.now()),
    }).catch((e: unknown) => {
      throw storeUnavailable(e);
    });
    const limits = states
      .filter((s) => s.limit >= 0)
      .map((s) => ({
        dimension: s.dimension === 'parallel' ? 'parallel_requests' : s.dimension,
        window: s.window,
        scope: s.scope,
        used: s.used,
        reserved: s.reserved,
        limit: s.limit,
        remaining: remainingOf(s),
        resets_at: s.resetsAt === null ? null : new Date(s.resetsAt).toISOString().replace('.000Z', 'Z'),
      }));
    // Grants: extra allowance past the period's, kept until spent or expired.
    const grants = (await app.store.listGrants(principal.userId).catch((e: unknown) => {
      throw storeUnavailable(e);
    })).filter((g) => g.expiresAt === null || g.expiresAt > app.clock.now()).map((g) => ({
      dimension: g.dimension, window: 'lifetime', scope: 'grant', id: g.id, used: g.used, reserved: g.reserved, limit: g.amount,
      remaining: Math.max(0, g.amount - g.used - g.reserved), resets_at: null,
      expires_at: g.expiresAt === null ? null : new Date(g.expiresAt).toISOString().replace('.000Z', 'Z'),
    }));
    return c.json({ user: principal.userId, limits: [...limits, ...grants] });
  };
}
