// Usage from a non-streaming JSON body (chat, completions, responses, embeddings, messages). The body is
// not parsed whole: an embeddings answer can be megabytes of vectors, and the usage is a small
// object near its end. The last top-level-looking `"usage":` key is found, and only the object
// after it is parsed. A quote inside a JSON string is always escaped, so an unescaped `"usage":`
// can only be a key, and in these APIs' bodies it appears once, at the top level. A body with no
// such key is parsed whole, as before.
import type { Usage } from './usage.js';

/** The JSON value (object or string) that follows the last unescaped `"<key>":` in `text`. */
function lastValue(text: string, key: string): unknown {
  const needle = `"${key}"`;
  for (let at = text.lastIndexOf(needle); at > 0 || at === 0; at = text.lastIndexOf(needle, at - 1)) {
    if (at > 0 && text[at - 1] === '\\') continue;
    let i = at + needle.length;
    while (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t') i++;
    if (text[i] !== ':') continue;
    i++;
    while (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t') i++;
    const end = valueEnd(text, i);
    if (end < 0) return undefined;
    try {
      return JSON.parse(text.slice(i, end));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Where the JSON object, string or scalar starting at `i` ends (exclusive), or -1. */
function valueEnd(text: string, i: number): number {
  if (text[i] === '"') {
    for (let j = i + 1; j < text.length; j++) {
      if (text[j] === '\\') j++;
      else if (text[j] === '"') return j + 1;
    }
    return -1;
  }
  if (text[i] !== '{') {
    let j = i;
    while (j < text.length && !',}]'.includes(text[j] as string)) j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const ch = text[j];
    if (ch === '"') {
      for (j++; j < text.length && text[j] !== '"'; j++) if (text[j] === '\\') j++;
    } else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return j + 1;
  }
  return -1;
}

/** `normalize`: the provider's reader of its usage object. */
export function usageFromJsonBody(text: string, normalize: (raw: unknown) => Usage | null): { usage: Usage | null; model: string | null } {
  const raw = lastValue(text, 'usage');
  const model = lastValue(text, 'model');
  if (raw !== undefined) {
    return { usage: normalize(raw), model: typeof model === 'string' && model !== '' ? model : null };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { usage: null, model: null };
  }
  if (typeof body !== 'object' || body === null) return { usage: null, model: null };
  const o = body as Record<string, unknown>;
  return { usage: normalize(o.usage), model: typeof o.model === 'string' && o.model !== '' ? o.model : null };
}
