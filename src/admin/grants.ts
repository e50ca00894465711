// Grants: extra message credits, tokens or micro-USD for one user, spent after the period's
// allowance and kept across periods until they expire (DESIGN "Zones, anchors, weeks, grants").
// POST is idempotent by the client's grant id: a payment webhook retried three times adds one.
import { Hono } from 'hono';
import type { AppContext, AppEnv } from '../app-types.js';
import { badRequest, GatewayError } from '../core/errors.js';
import { GRANT_DIMENSIONS, type GrantDimension } from '../limits/vocabulary.js';
import type { GrantSpec, GrantState } from '../store/types.js';
import { jsonBody } from './json-body.js';
import { userOr404 } from './users.js';
import { onlyFields } from './validate.js';

const GRANT_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const grantView = (g: GrantState) => ({
  id: g.id, dimension: g.dimension, amount: g.amount, used: g.used, reserved: g.reserved,
  remaining: Math.max(0, g.amount - g.used - g.reserved), expires_at: iso(g.expiresAt), created_at: iso(g.createdAt),
});

function parseGrant(b: Record<string, unknown>, now: number): GrantSpec {
  onlyFields(b, ['id', 'dimension', 'amount', 'expires_at'], '');
  if (typeof b.id !== 'string' || !GRANT_ID.test(b.id)) throw badRequest("'id' must be 1-128 of A-Za-z0-9._:@- (your own id: a retry with it adds nothing)", 'id');
  if (typeof b.dimension !== 'string' || !(GRANT_DIMENSIONS as readonly string[]).includes(b.dimension)) {
    throw badRequest(`'dimension' must be one of ${GRANT_DIMENSIONS.join(', ')}`, 'dimension');
  }
  if (!(typeof b.amount === 'number' && Number.isSafeInteger(b.amount) && b.amount > 0)) throw badRequest("'amount' must be a positive integer", 'amount');
  let expiresAt: number | null = null;
  if (b.expires_at !== undefined && b.expires_at !== null) {
    expiresAt = typeof b.expires_at === 'string' ? Date.parse(b.expires_at) : NaN;
    if (!Number.isFinite(expiresAt) || expiresAt <= now) throw badRequest("'expires_at' must be an ISO 8601 time in the future, or null", 'expires_at');
  }
  return { id: b.id, dimension: b.dimension as GrantDimension, amount: b.amount, expiresAt };
}

export function createGrantRoutes(app: AppContext): Hono<AppEnv> {
  const grants = new Hono<AppEnv>();
  const userId = async (raw: string) => (await userOr404(app.store, raw)).id;

  grants.post('/:id/grants', async (c) => {
    const user = await userId(c.req.param('id'));
    const now = app.clock.now();
    const spec = parseGrant(await jsonBody(c), now);
    const { created, grant } = await app.store.addGrant(user, spec, {
      requestId: `grant:${spec.id}`, time: now, user, model: null, conversation: null, promptTokens: 0, completionTokens: 0,
      cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'grant', estimated: false, grant: spec,
    });
    if (!created && (grant.dimension !== spec.dimension || grant.amount !== spec.amount || grant.expiresAt !== spec.expiresAt)) {
      throw new GatewayError({ status: 409, code: 'grant_conflict', param: 'id', message: `grant '${spec.id}' exists with other terms` });
    }
    return c.json(grantView(grant), created ? 201 : 200);
  });

  grants.get('/:id/grants', async (c) => c.json({ grants: (await app.store.listGrants(await userId(c.req.param('id')))).map(grantView) }));
  return grants;
}
