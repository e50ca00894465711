// Counts every /v1 request by route, status and outcome once its response is decided:
// served, rejected_<dimension> (a limit refused it), upstream_error, or the error code.
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../core/errors.js';
import type { Metrics } from './metrics.js';


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

/** Routes are labelled by the endpoint table's labels (and models, quota); anything else is 'other'. */
export function requestMetrics(metrics: Metrics, endpoints: readonly { readonly path: string; readonly label: string }[]): MiddlewareHandler {
  const labels = new Map<string, string>([...endpoints.map((e) => [`/v1${e.path}`, e.label] as const), ['/v1/models', 'models'], ['/v1/quota', 'quota'],
    ['/v1/messages/count_tokens', 'messages/count_tokens']]);
  return async function countRequest(c, next) {
    await next();
    metrics.request(labels.get(c.req.path) ?? 'other', c.res.status, outcomeOf(c.res.status, c.error));
  };
}
