// The only changes Tollgate makes to a request: ask for usage on a stream the client did not ask
// it for, and write the output ceiling it can afford (hard mode). Untouched otherwise: the bytes
// the client sent go upstream as they are.
import { objectMembers } from './json-members.js';

export interface Rewrite {
  /** The endpoint's output-ceiling fields (endpoints.ts); the first is written when none was sent. */
  readonly ceilingFields: readonly string[];
  /** Output ceiling to write, or null to leave the client's. */
  readonly ceiling: number | null;
  readonly forceUsage: boolean;
}

export function rewriteBody(raw: Buffer, body: Record<string, unknown>, r: Rewrite): Buffer {
  if (r.ceiling === null && !r.forceUsage) return raw;
  return spliced(raw, body, r) ?? replaced(raw, body, r);
}

/** The fields to write, as JSON text: include_usage (keeping the client's other stream options) and the ceiling. */
function fieldsToSet(body: Record<string, unknown>, r: Rewrite): Map<string, string> {
  const set = new Map<string, string>();
  if (r.forceUsage) {
    const opts = typeof body.stream_options === 'object' && body.stream_options !== null ? body.stream_options : {};
    set.set('stream_options', JSON.stringify({ ...opts, include_usage: true }));
  }
  if (r.ceiling !== null) {
    const fields = r.ceilingFields;
    const present = fields.filter((f) => body[f] !== undefined && body[f] !== null);
    for (const f of present.length > 0 ? present : fields.slice(0, 1)) set.set(f, String(r.ceiling));
  }
  return set;
}

/**
 * A field the client did send is replaced: every copy of it is dropped (so no duplicate key leaves
 * the choice to the upstream's parser) and the new value goes in front; every other member goes
 * on byte for byte.
 */
function replaced(raw: Buffer, body: Record<string, unknown>, r: Rewrite): Buffer {
  const set = fieldsToSet(body, r);
  const members = objectMembers(raw);
  if (!members) {
    // Cannot happen for text JSON.parse took as an object; re-serialise rather than guess.
    const out: Record<string, unknown> = { ...body };
    for (const [key, value] of set) out[key] = JSON.parse(value);
    return Buffer.from(JSON.stringify(out));
  }
  const parts: Buffer[] = [];
  for (const [key, value] of set) parts.push(Buffer.from(`${JSON.stringify(key)}:${value}`));
  for (const m of members) if (!set.has(m.key)) parts.push(raw.subarray(m.start, m.end));
  const out: Buffer[] = [Buffer.from('{')];
  parts.forEach((p, i) => out.push(...(i === 0 ? [p] : [COMMA, p])));
  out.push(Buffer.from('}'));
  return Buffer.concat(out);
}

const COMMA = Buffer.from(',');

/**
 * When every field to add is absent from the body (the usual case: a client that named no
 * ceiling and asked for no usage), the fields are put in front of the client's own bytes, which
 * stay exactly as sent, with no scan of the body. A field the client did send is replaced (below).
 */
function spliced(raw: Buffer, body: Record<string, unknown>, r: Rewrite): Buffer | null {
  const added: string[] = [];
  if (r.forceUsage) {
    if (body.stream_options !== undefined) return null;
    added.push('"stream_options":{"include_usage":true}');
  }
  if (r.ceiling !== null) {
    const fields = r.ceilingFields;
    if (fields.some((f) => body[f] !== undefined)) return null;
    added.push(`"${fields[0] as string}":${r.ceiling}`);
  }
  const open = raw.indexOf(0x7b); // the object's "{" (validated to be an object)
  if (open < 0) return null;
  const rest = raw.subarray(open + 1);
  const empty = /^\s*\}/.test(rest.subarray(0, 64).toString('latin1'));
  return Buffer.concat([raw.subarray(0, open + 1), Buffer.from(added.join(',') + (empty ? '' : ',')), rest]);
}
