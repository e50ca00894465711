// One error type for everything the gateway refuses or fails at, with a stable code, and the
// named factories for the failures written in more than one place. Only app.onError turns a
// GatewayError into a response, in the shape of the route's wire format (OpenAI's by default,
// plus the fields the contract adds). A leaf: it imports nothing.

export type ErrorCode =
  | 'invalid_api_key' | 'invalid_request_error' | 'model_not_allowed' | 'not_found' | 'method_not_allowed'
  | 'request_too_large' | 'unpriced_model' | 'rate_limit_exceeded' | 'insufficient_quota'
  | 'conversation_budget_exceeded' | 'store_unavailable' | 'upstream_unreachable' | 'upstream_timeout'
  | 'admin_disabled' | 'internal_error' | 'user_exists' | 'user_not_found' | 'grant_conflict' | 'unsupported_media_type' | 'request_timeout'
  | 'model_not_found' | 'missing_end_user' | 'end_user_not_allowed' | 'unknown_user' | 'user_disabled' | 'invalid_token' | 'jwks_unavailable';

export interface GatewayErrorOptions {
  status: number;
  code: ErrorCode;
  message: string;
  type?: string;
  param?: string | null;
  /** Extra fields carried inside `error` (scope, dimension, limit, used, resets_at, creditsUsed, …). */
  details?: Readonly<Record<string, unknown>>;
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly type: string;
  readonly param: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;

  constructor(o: GatewayErrorOptions) {
    super(o.message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'GatewayError';
    this.status = o.status;
    this.code = o.code;
    this.type = o.type ?? defaultType(o.status);
    this.param = o.param ?? null;
    this.details = o.details ?? {};
    this.headers = o.headers ?? {};
  }

  body(): { error: Record<string, unknown> } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code, ...this.details } };
  }

  /** `body`: the error in the route's wire format (its provider's errorBody); OpenAI's shape when not given. */
  toResponse(extraHeaders: Readonly<Record<string, string>> = {}, body: unknown = this.body()): Response {
    return new Response(JSON.stringify(body), {
      status: this.status,
      headers: { 'content-type': 'application/json', ...extraHeaders, ...this.headers },
    });
  }
}

function defaultType(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export const badRequest = (message: string, param: string | null = null, cause?: unknown): GatewayError =>
  new GatewayError({ status: 400, code: 'invalid_request_error', message, param, cause });

/** The usage store did not answer (fail mode closed, or a read the request needs). */
export const storeUnavailable = (cause?: unknown): GatewayError =>
  new GatewayError({ status: 503, code: 'store_unavailable', message: 'the usage store is unavailable; try again shortly', cause });

export const invalidApiKey = (message: string): GatewayError => new GatewayError({ status: 401, code: 'invalid_api_key', message });

export const notFound = (message: string): GatewayError => new GatewayError({ status: 404, code: 'not_found', message });

export const userNotFound = (id: string): GatewayError => new GatewayError({ status: 404, code: 'user_not_found', message: `no user '${id}'` });

export const methodNotAllowed = (allow: string): GatewayError =>
  new GatewayError({ status: 405, code: 'method_not_allowed', message: `method not allowed; use ${allow}`, headers: { allow } });

export const modelNotAllowed = (model: string): GatewayError =>
  new GatewayError({ status: 403, code: 'model_not_allowed', param: 'model', message: `model '${model}' is not allowed for this key` });

/** No configured upstream serves this model on this endpoint. */
export const modelNotRouted = (message: string): GatewayError =>
  new GatewayError({ status: 400, code: 'model_not_found', param: 'model', message });

export const requestTooLarge = (message: string): GatewayError => new GatewayError({ status: 413, code: 'request_too_large', message });

export const upstreamTimeout = (cause?: unknown): GatewayError =>
  new GatewayError({ status: 504, code: 'upstream_timeout', message: 'the upstream did not answer in time', cause });

export const upstreamUnreachable = (cause?: unknown): GatewayError =>
  new GatewayError({ status: 502, code: 'upstream_unreachable', message: 'the upstream could not be reached', cause });

export const internalError = (cause?: unknown): GatewayError =>
  new GatewayError({ status: 500, code: 'internal_error', message: 'internal error', cause });
