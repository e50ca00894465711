// Counts every /v1 request by route, status and outcome once its response is decided:
// served, rejected_<dimension> (a limit refused it), upstream_error, or the error code.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-types.js';
import { GatewayError } from '../core/errors.js';
import type { Metrics } from './metrics.js';

const ROUTES = new Set(['chat/completions', 'completions', 'embeddings', 'responses', 'models', 'quota']);

function outcomeOf(status: number, error: unknown): string {
  if (error instanceof GatewayError) {
    const dimension = error.details.dimension;
    if (typeof dimension === 'string' && (status === 429 || status === 402 || status === 409)) return `rejected_${dimension}`;
    return error.code;
  }
  if (error) return 'internal_error';
  if (status >= 400) return 'upstream_error';
  return 'served';
}

export function requestMetrics(metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async function countRequest(c, next) {
    await next();
    const path = c.req.path.replace(/^\/v1\//, '');
    metrics.request(ROUTES.has(path) ? path : 'other', c.res.status, outcomeOf(c.res.status, c.error));
  };
}
