// The only changes Tollgate makes to a request: ask for usage on a stream the client did not ask
// it for, and write the output ceiling it can afford (hard mode). Untouched otherwise: the bytes
// the client sent go upstream as they are.
import { badRequest } from '../http/errors.js';
import { ceilingFields, type Api } from '../plan/request-body.js';

export interface Rewrite {
  readonly api: Api;
  /** Output ceiling to write, or null to leave the client's. */
  readonly ceiling: number | null;
  readonly forceUsage: boolean;
}

export function rewriteBody(raw: Buffer, body: Record<string, unknown>, r: Rewrite): Buffer {
  if (r.ceiling === null && !r.forceUsage) return raw;
  const out: Record<string, unknown> = { ...body };
  if (r.forceUsage) {
    const opts = typeof body.stream_options === 'object' && body.stream_options !== null ? body.stream_options : {};
    out.stream_options = { ...opts, include_usage: true };
  }
  if (r.ceiling !== null) {
    const fields = ceilingFields(r.api);
    const present = fields.filter((f) => body[f] !== undefined && body[f] !== null);
    for (const f of present.length > 0 ? present : fields.slice(0, 1)) out[f] = r.ceiling;
  }
  try {
    return Buffer.from(JSON.stringify(out));
  } catch (e) {
    // JSON.parse takes nesting that JSON.stringify cannot give back (its recursion runs out).
    throw badRequest('request body nests too deeply', null, e);
  }
}
