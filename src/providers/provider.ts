// The seam between Tollgate and one kind of provider: how the gateway authenticates to it, where
// it is by default, and the shape its errors take. What its responses report (usage, quirks)
// is its dialects' (meter/dialect.ts), named by the endpoint table.
import type { GatewayError } from '../core/errors.js';

import type { LimitState } from '../store/types.js';

export type ProviderKind = 'openai' | 'anthropic';

/** What a request body says about itself beyond the fields every endpoint shares (plan/request-body.ts). */
export interface BodyShape {
  /** Refuses a body that lacks what the endpoint requires (400, before any reservation). */
  check(body: Record<string, unknown>): void;
  /** A request whose last input is the user's (a tool turn costs tokens and spend, no credit). */
  userInitiated(body: Record<string, unknown>): boolean;
}

/** The operator's credentials for one upstream. */
export interface UpstreamCredentials {
  readonly apiKey: string | null;
  /** OpenAI-Organization / OpenAI-Project: what the gateway's key bills (OpenAI-compatible only). */
  readonly organization?: string | null;
  readonly project?: string | null;
}

export interface Provider {
  readonly kind: ProviderKind;
  /** Its name in messages ("Anthropic"). */
  readonly name: string;
  /** The header its clients send their key in instead of Authorization: Bearer (Anthropic's
   * x-api-key); read on its own routes (and the shared ones: /v1/models, /v1/quota), no others. */
  readonly keyHeader?: string;
  readonly defaultBaseUrl: string;
  /** Headers that authenticate the gateway to the upstream (and choose what it bills). */
  authHeaders(credentials: UpstreamCredentials): Record<string, string>;
  /** Headers sent when the client sent none of that name. */
  readonly defaultHeaders?: Readonly<Record<string, string>>;
  /** A refusal or failure as this wire format's error body. */
  errorBody(e: GatewayError): unknown;
  /** The user's limits in this provider's own rate-limit headers, added to `h` (beside Tollgate's x-ratelimit-*). */
  limitHeaders?(states: readonly LimitState[], now: number, h: Record<string, string>): void;
}
