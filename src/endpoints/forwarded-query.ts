// The query string a route sends upstream. Only the parameters its endpoint row names (`query`)
// cross, and only with one of the values the row allows; what goes upstream is written from the
// table, never copied from the client, so no client byte reaches the upstream's URL. A parameter
// the row does not name is dropped (as every route always has: an Azure `api-version`, say); a
// parameter it names with another value is a 400 naming it, before anything is reserved.
import { badRequest } from '../core/errors.js';

/** Parameter name -> the values a client may send (and that are forwarded, as written here). */
export type QueryRule = Readonly<Record<string, readonly string[]>>;

/** `target`: the request's target as the client sent it (path and query, e.g. `/v1/messages?beta=true`). */
export function forwardedQuery(rule: QueryRule, target: string): string {
  const at = target.indexOf('?');
  if (at < 0) return '';
  const names = Object.keys(rule);
  if (names.length === 0) return '';
  // URLSearchParams undoes the percent-encoding (and `+`), so `b%65ta=%74rue` is `beta=true`.
  const sent = new URLSearchParams(target.slice(at + 1));
  const out: string[] = [];
  for (const name of names) {
    const values = sent.getAll(name);
    if (values.length === 0) continue;
    const allowed = rule[name] as readonly string[];
    const wrong = values.find((v) => !allowed.includes(v));
    if (wrong !== undefined) {
      throw badRequest(`query parameter '${name}' may only be ${allowed.map((v) => `'${v}'`).join(' or ')}, not '${wrong.slice(0, 100)}'`, name);
    }
    // Sent twice with one value: forwarded once. (Two different allowed values: both, in the table's order.)
    for (const v of allowed) if (values.includes(v)) out.push(`${encodeURIComponent(name)}=${encodeURIComponent(v)}`);
  }
  return out.length === 0 ? '' : `?${out.join('&')}`;
}
