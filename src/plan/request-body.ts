// What a metered request says about itself: its model, output ceiling, streaming, whether a user
// (not a tool) sent it (what its prompt weighs: prompt/prompt-estimate.ts). Read from the fields
// every endpoint shares, and what its row of the endpoint table says of the rest. Bad input is
// refused here, before any reservation.
import { badRequest } from '../core/errors.js';
import type { Endpoint } from '../endpoints/endpoints.js';

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

const MAX_CEILING = 10_000_000;

function ceilingOf(fields: readonly string[], body: Record<string, unknown>): number | null {
  let found: number | null = null;
  for (const field of fields) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_CEILING) {
      throw badRequest(`'${field}' must be an integer between 1 and ${MAX_CEILING}`, field);
    }
    found = found === null ? v : Math.min(found, v);
  }
  return found;
}

export function readRequestFacts(endpoint: Endpoint, body: Record<string, unknown>): RequestFacts {
  const { model } = body;
  if (model === undefined) throw badRequest("you must provide a model parameter ('model')", 'model');
  if (typeof model !== 'string' || model.length === 0 || model.length > 256) throw badRequest("'model' must be a non-empty string", 'model');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw badRequest("'stream' must be a boolean", 'stream');
  endpoint.body.check(body);
  const n = body.n ?? 1;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 128) throw badRequest("'n' must be an integer between 1 and 128", 'n');
  const opts = body.stream_options;
  const clientAskedUsage = typeof opts === 'object' && opts !== null && (opts as Record<string, unknown>).include_usage === true;
  return {
    model,
    stream: body.stream === true && endpoint.streams,
    clientCeiling: ceilingOf(endpoint.ceilingFields, body),
    choices: endpoint.choices ? n : 1,
    userInitiated: endpoint.body.userInitiated(body),
    clientAskedUsage,
  };
}
