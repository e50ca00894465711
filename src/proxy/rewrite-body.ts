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
  return spliced(raw, body, r) ?? reserialised(body, r);
}

/**
 * When every field to add is absent from the body (the usual case: a client that named no
 * ceiling and asked for no usage), the fields are put in front of the client's own bytes, which
 * stay exactly as sent. A field the client did send must be replaced, which needs a re-serialise:
 * a duplicate key would leave which value wins to the upstream's parser.
 */
function spliced(raw: Buffer, body: Record<string, unknown>, r: Rewrite): Buffer | null {
  const added: string[] = [];
  if (r.forceUsage) {
    if (body.stream_options !== undefined) return null;
    added.push('"stream_options":{"include_usage":true}');
  }
  if (r.ceiling !== null) {
    const fields = ceilingFields(r.api);
    if (fields.some((f) => body[f] !== undefined)) return null;
    added.push(`"${fields[0] as string}":${r.ceiling}`);
  }
  const open = raw.indexOf(0x7b); // the object's "{" (validated to be an object)
  if (open < 0) return null;
  const rest = raw.subarray(open + 1);
  const empty = /^\s*\}/.test(rest.subarray(0, 64).toString('latin1'));
  return Buffer.concat([raw.subarray(0, open + 1), Buffer.from(added.join(',') + (empty ? '' : ',')), rest]);
}

function reserialised(body: Record<string, unknown>, r: Rewrite): Buffer {
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
