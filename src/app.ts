// createApp(deps): the whole request path, in order. No I/O at import; tests build as many apps
// as they like, side by side.
//   request id -> auth -> admit (body, facts, plan, store.reserve) -> relay (upstream, meter,
//   client writes) -> measure (the charge) -> settle; every metered route is a row of
//   endpoints/endpoints.ts
import { Hono, type MiddlewareHandler } from 'hono';
import { dashboard, dashboardScript } from './admin/dashboard.js';
import { createAdminRoutes } from './admin/routes.js';
import type { AppContext, AppEnv, Deps } from './app-types.js';
import { createKeyUseRecorder } from './auth/key-use.js';
import { createPrincipalResolver } from './auth/principals.js';
import { createFailureLimiter } from './auth/failure-limiter.js';
import { createJwtVerifier } from './auth/jwt.js';
import { userAuth } from './auth/user-auth.js';
import { GatewayError, internalError, methodNotAllowed, notFound } from './core/errors.js';
import type { Provider } from './providers/provider.js';
import { PROVIDERS } from './providers/providers.js';
import { requestIdMiddleware } from './http/request-id.js';
import { requestMetrics } from './metrics/request-metrics.js';
import { createEpochWatch } from './store/epoch-watch.js';
import { ENDPOINTS, METERED } from './endpoints/endpoints.js';
import { createCountTokensHandler } from './proxy/count-tokens.js';
import { createMeteredHandler } from './proxy/metered.js';
import { createModelsHandler } from './proxy/models.js';
import { createQuotaHandler } from './proxy/quota.js';
import { createUpstreamRouter } from './upstream/router.js';

/** Anthropic's prompt counter: authenticated, passed through, not metered. */
const COUNT_TOKENS = '/messages/count_tokens';

export function createApp(deps: Deps): Hono<AppEnv> {
  const keyUse = deps.keyUse ?? createKeyUseRecorder({ store: deps.store, clock: deps.clock, flushMs: deps.config.auth.key_use_flush_ms });
  const principals = createPrincipalResolver({
    store: deps.store, clock: deps.clock, cacheMs: deps.config.auth.cache_ms, configDefaults: deps.config.limits,
    serveStale: deps.config.fail_mode === 'open', plans: deps.config.plans,
    calendarDefaults: { time_zone: deps.config.time_zone, month_anchor_day: deps.config.month_anchor_day },
    autoCreateUsers: deps.config.auth.auto_create_users, usersCreatedPerMinute: deps.config.auth.users_created_per_minute,
    onUserCreated: (u) => deps.logger.info({ user: u.id, by: u.createdBy }, 'end user created'),
    onKeyUsed: keyUse.used,
  });
  const ctx: AppContext = { ...deps, principals, keyUse };
  const app = new Hono<AppEnv>();

  app.use('*', requestIdMiddleware(deps.logger));

  deps.metrics.gauges({ inFlight: () => deps.inFlight.requests, journalBacklog: () => deps.journal.backlog });
  app.get('/metrics', async (c) => c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const epoch = deps.epochWatch ?? createEpochWatch(deps.store, deps.logger, deps.clock);
  app.get('/readyz', async (c) => {
    try {
      await deps.store.ping();
      // The marker is one key (one slot of a cluster): failing to read it does not make us unready.
      const { emptiedAt } = await epoch.check().catch(() => ({ emptiedAt: null }));
      // Still ready (it serves), but says the store lost what it held.
      return c.json(emptiedAt === null ? { status: 'ready', store: deps.store.kind }
        : { status: 'ready', store: deps.store.kind, store_emptied_at: new Date(emptiedAt).toISOString() });
    } catch {
      return c.json({ status: 'not ready', store: deps.store.kind }, 503);
    }
  });

  app.get('/admin', dashboard);
  app.get('/admin/dashboard/:file', dashboardScript);
  // Bad keys, admin or user, count against their address in one limiter.
  const failures = createFailureLimiter(deps.config.auth.failures_per_minute, () => deps.clock.now());
  app.route('/admin', createAdminRoutes(ctx, failures));

  const v1 = new Hono<AppEnv>();
  v1.use('*', requestMetrics(deps.metrics, METERED));
  for (const e of METERED) v1.use(e.path, speaks(e.provider));
  v1.use(COUNT_TOKENS, speaks(ENDPOINTS.messages.provider));
  const endUser = { header: deps.config.auth.end_user_header, fromBody: deps.config.auth.end_user_from_body };
  const keyHeaders = Object.values(PROVIDERS).flatMap((p) => (p.keyHeader ? [{ header: p.keyHeader, format: p.name }] : []));
  v1.use('*', userAuth(principals, failures, endUser, createJwtVerifier(deps.config.auth.jwt, deps.clock), keyHeaders));
  const router = createUpstreamRouter(deps.config);
  for (const e of METERED) v1.post(e.path, createMeteredHandler(ctx, e, router, endUser));
  v1.post(COUNT_TOKENS, createCountTokensHandler(ctx, ENDPOINTS.messages, router, endUser));
  v1.get('/models', createModelsHandler(deps, router.all));
  v1.get('/quota', createQuotaHandler(ctx));
  for (const e of METERED) v1.all(e.path, () => refuseMethod('POST'));
  v1.all(COUNT_TOKENS, () => refuseMethod('POST'));
  v1.all('/models', () => refuseMethod('GET'));
  v1.all('/quota', () => refuseMethod('GET'));
  app.route('/v1', v1);

  app.notFound((c) =>
    notFound(`Unknown request URL: ${c.req.method} ${c.req.path}`)
      .toResponse({ 'x-request-id': c.get('requestId') ?? '' }));
  app.onError((err, c) => {
    if (err instanceof GatewayError) {
      if (err.status >= 500) c.get('log')?.warn({ err, code: err.code }, err.message);
      return err.toResponse({ 'x-request-id': c.get('requestId') ?? '' }, c.get('provider')?.errorBody(err));
    }
    c.get('log')?.error({ err }, 'unhandled error');
    return internalError().toResponse({ 'x-request-id': c.get('requestId') ?? '' });
  });
  return app;
}

const refuseMethod = (allow: string): never => {
  throw methodNotAllowed(allow);
};

/** The route's errors, from here on, take the shape its provider's clients expect. */
function speaks(provider: Provider): MiddlewareHandler<AppEnv> {
  // Not async: it has nothing to do after the route, so it hands on the route's promise.
  return function errorShape(c, next) {
    c.set('provider', provider);
    return next();
  };
}
