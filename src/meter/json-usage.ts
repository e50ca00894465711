// Usage from a non-streaming JSON body (chat, completions, responses, embeddings).
import { normalizeUsage, type Api, type Usage } from './usage.js';

export function usageFromJsonBody(text: string, _api: Api): { usage: Usage | null; model: string | null } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { usage: null, model: null };
  }
  if (typeof body !== 'object' || body === null) return { usage: null, model: null };
  const o = body as Record<string, unknown>;
  const model = typeof o.model === 'string' && o.model !== '' ? o.model : null;
  return { usage: normalizeUsage(o.usage), model };
}
