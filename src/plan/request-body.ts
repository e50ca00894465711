// What a metered request says about itself: its model, output ceiling, streaming, whether a user
// (not a tool) sent it (what its prompt weighs: prompt/prompt-estimate.ts). Bad input is refused
// here, before any reservation.
import { badRequest } from '../core/errors.js';

export type Api = 'chat' | 'completions' | 'responses' | 'embeddings';

export interface RequestFacts {
  readonly model: string;
  readonly stream: boolean;
  /** Output ceiling the client asked for, or null. */
  readonly clientCeiling: number | null;
  /** Choices generated per request (chat/completions `n`). */
  readonly choices: number;
  readonly userInitiated: boolean;
  readonly clientAskedUsage: boolean;
}

const CEILING_FIELDS: Readonly<Record<Api, readonly string[]>> = {
  chat: ['max_completion_tokens', 'max_tokens'],
  completions: ['max_tokens'],
  responses: ['max_output_tokens'],
  embeddings: [],
};
export const ceilingFields = (api: Api): readonly string[] => CEILING_FIELDS[api];

const MAX_CEILING = 10_000_000;

function ceilingOf(api: Api, body: Record<string, unknown>): number | null {
  let found: number | null = null;
  for (const field of CEILING_FIELDS[api]) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_CEILING) {
      throw badRequest(`'${field}' must be an integer between 1 and ${MAX_CEILING}`, field);
    }
    found = found === null ? v : Math.min(found, v);
  }
  return found;
}

function lastRole(items: unknown): { role: string | null; type: string | null } {
  if (!Array.isArray(items) || items.length === 0) return { role: null, type: null };
  const last: unknown = items[items.length - 1];
  if (typeof last !== 'object' || last === null) return { role: null, type: null };
  const o = last as Record<string, unknown>;
  return { role: typeof o.role === 'string' ? o.role : null, type: typeof o.type === 'string' ? o.type : null };
}

function isUserInitiated(api: Api, body: Record<string, unknown>): boolean {
  switch (api) {
    case 'chat':
      return lastRole(body.messages).role === 'user';
    case 'responses': {
      if (typeof body.input === 'string') return true;
      const { role, type } = lastRole(body.input);
      return role === 'user' && (type === null || type === 'message');
    }
    case 'completions':
      return true;
    case 'embeddings':
      return false;
  }
}

export function readRequestFacts(api: Api, body: Record<string, unknown>): RequestFacts {
  const { model } = body;
  if (model === undefined) throw badRequest("you must provide a model parameter ('model')", 'model');
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) throw badRequest("'model' must be a non-empty string", 'model');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw badRequest("'stream' must be a boolean", 'stream');
  if (api === 'chat' && !Array.isArray(body.messages)) throw badRequest("'messages' must be an array", 'messages');
  if (api === 'embeddings' && body.input === undefined) throw badRequest("'input' is required", 'input');
  const n = body.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 128) throw badRequest("'n' must be an integer between 1 and 128", 'n');
  const opts = body.stream_options;
  const clientAskedUsage = typeof opts === 'object' && opts !== null && (opts as Record<string, unknown>).include_usage === true;
  return {
    model,
    stream: body.stream === true && api !== 'embeddings',
    clientCeiling: ceilingOf(api, body),
    choices: api === 'chat' || api === 'completions' ? n : 1,
    userInitiated: isUserInitiated(api, body),
    clientAskedUsage,
  };
}
