// Anthropic's Messages API: the key in x-api-key, an anthropic-version when the client sent none,
// errors as {"type":"error","error":{"type","message"}}, and the user's limits in Anthropic's
// rate-limit headers.
import type { GatewayError } from '../../core/errors.js';
import type { Provider } from '../provider.js';
import { anthropicLimitHeaders } from './limit-headers.js';

/** The API version sent when the client names none (the SDKs and Claude Code always do). */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Anthropic's error type for a status (https://docs.anthropic.com/en/api/errors). */
function errorType(e: GatewayError): string {
  if (e.status === 402 || e.code === 'insufficient_quota' || e.code === 'conversation_budget_exceeded') return 'billing_error';
  if (e.status === 401) return 'authentication_error';
  if (e.status === 403) return 'permission_error';
  if (e.status === 404 || e.status === 405) return 'not_found_error';
  if (e.status === 413) return 'request_too_large';
  if (e.status === 429) return 'rate_limit_error';
  if (e.status === 503 || e.status === 529) return 'overloaded_error';
  if (e.status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export const anthropicProvider: Provider = {
  kind: 'anthropic',
  name: 'Anthropic',
  keyHeader: 'x-api-key',
  defaultBaseUrl: 'https://api.anthropic.com/v1',
  authHeaders: (c): Record<string, string> => (c.apiKey ? { 'x-api-key': c.apiKey } : {}),
  defaultHeaders: { 'anthropic-version': ANTHROPIC_VERSION },
  // Tollgate's code, param and limit facts ride inside `error`, as they do in OpenAI's shape.
  errorBody: (e) => {
    const { message, type: _openaiType, ...rest } = e.body().error;
    return { type: 'error', error: { type: errorType(e), message, ...rest } };
  },
  limitHeaders: anthropicLimitHeaders,
};
