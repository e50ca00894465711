// The metered endpoints, one row each: everything that differs between them is a field here.
// Routes (app.ts), planning (plan/), the rewrite, metering (proxy/relay.ts) and metrics read
// this table; none of them asks which endpoint it is serving.
import type { UsageDialect } from '../meter/dialect.js';
import { messagesBody } from '../providers/anthropic/bodies.js';
import { anthropicProvider } from '../providers/anthropic/provider.js';
import { messagesDialect } from '../providers/anthropic/stream-events.js';
import { chatBody, completionsBody, embeddingsBody, responsesBody } from '../providers/openai/bodies.js';
import { openaiProvider } from '../providers/openai/provider.js';
import { chunkDialect, embeddingsDialect, responsesDialect } from '../providers/openai/stream-events.js';
import type { BodyShape, Provider } from '../providers/provider.js';
import type { QueryRule } from './forwarded-query.js';

/** The endpoints, by wire format (also how prompt content is read: plan/prompt/prompt-content.ts). */
export type Api = 'chat' | 'completions' | 'responses' | 'embeddings' | 'messages';

export interface Endpoint {
  readonly api: Api;
  /** Path below /v1, on the gateway and on the upstream alike. */
  readonly path: string;
  /** The `route` label of its metrics. */
  readonly label: string;
  /** Who speaks this format: auth to the upstream, error shape. */
  readonly provider: Provider;
  /** Request facts beyond the shared fields: what it requires, whether a user sent it. */
  readonly body: BodyShape;
  /** Fields that set the output ceiling (the first is written when the client sent none); none: it generates no output. */
  readonly ceilingFields: readonly string[];
  /** Whether `stream: true` streams. */
  readonly streams: boolean;
  /** Whether `n` asks for several choices (each generating up to the ceiling). */
  readonly choices: boolean;
  /** Whether `stream_options.include_usage` can be asked for on a client's behalf (and its usage-only chunk hidden). */
  readonly includeUsage: boolean;
  /** How usage arrives, streamed and not. */
  readonly usage: UsageDialect;
  /** The query parameters forwarded upstream, with their allowed values; any other is dropped (forwarded-query.ts). */
  readonly query: QueryRule;
}

const NO_QUERY: QueryRule = {};

export const ENDPOINTS: Readonly<Record<Api, Endpoint>> = {
  chat: {
    api: 'chat', path: '/chat/completions', label: 'chat/completions', provider: openaiProvider, body: chatBody,
    ceilingFields: ['max_completion_tokens', 'max_tokens'], streams: true, choices: true, includeUsage: true, usage: chunkDialect, query: NO_QUERY,
  },
  completions: {
    api: 'completions', path: '/completions', label: 'completions', provider: openaiProvider, body: completionsBody,
    ceilingFields: ['max_tokens'], streams: true, choices: true, includeUsage: true, usage: chunkDialect, query: NO_QUERY,
  },
  embeddings: {
    api: 'embeddings', path: '/embeddings', label: 'embeddings', provider: openaiProvider, body: embeddingsBody,
    ceilingFields: [], streams: false, choices: false, includeUsage: false, usage: embeddingsDialect, query: NO_QUERY,
  },
  responses: {
    api: 'responses', path: '/responses', label: 'responses', provider: openaiProvider, body: responsesBody,
    ceilingFields: ['max_output_tokens'], streams: true, choices: false, includeUsage: false, usage: responsesDialect, query: NO_QUERY,
  },
  // Anthropic's Messages API: max_tokens is required, usage comes in message_start / message_delta.
  // Its beta clients (Claude Code, the SDK's beta namespace) call it as /v1/messages?beta=true.
  messages: {
    api: 'messages', path: '/messages', label: 'messages', provider: anthropicProvider, body: messagesBody,
    ceilingFields: ['max_tokens'], streams: true, choices: false, includeUsage: false, usage: messagesDialect,
    query: { beta: ['true'] },
  },
};

/** Every metered endpoint, in the order routes are registered. */
export const METERED: readonly Endpoint[] = [ENDPOINTS.chat, ENDPOINTS.completions, ENDPOINTS.embeddings, ENDPOINTS.responses, ENDPOINTS.messages];

/** Whether the endpoint generates output (and so has an output ceiling to reserve and enforce). */
export const generates = (e: Endpoint): boolean => e.ceilingFields.length > 0;
