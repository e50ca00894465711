// One error type for everything the gateway refuses or fails at. Only app.onError turns a
// GatewayError into a response, in OpenAI's error shape plus the fields the contract adds.

export type ErrorCode =
  | 'invalid_api_key' | 'invalid_request_error' | 'model_not_allowed' | 'not_found' | 'method_not_allowed'
  | 'request_too_large' | 'unpriced_model' | 'rate_limit_exceeded' | 'insufficient_quota'
  | 'conversation_budget_exceeded' | 'store_unavailable' | 'upstream_unreachable' | 'upstream_timeout'
  | 'admin_disabled' | 'internal_error' | 'user_exists' | 'user_not_found' | 'grant_conflict' | 'unsupported_media_type' | 'request_timeout'
  | 'missing_end_user' | 'end_user_not_allowed' | 'unknown_user' | 'user_disabled' | 'invalid_token' | 'jwks_unavailable';

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

  toResponse(extraHeaders: Readonly<Record<string, string>> = {}): Response {
    return new Response(JSON.stringify(this.body()), {
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
