// What one SSE event tells the meter: usage, the model, an error inside a 200 stream, the end.
// Only events that can carry those are parsed (see sse-meter.ts).
import { normalizeUsage, type Api, type Usage } from './usage.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface EventFacts {
  usage: Usage | null;
  model: string | null;
  error: { message: string; code: string | null } | null;
  done: boolean;
  /** A chat/completions chunk with no choices and a usage: the usage-only chunk. */
  usageOnly: boolean;
}

const RESPONSE_END = new Set(['response.completed', 'response.failed', 'response.incomplete']);

// One regular expression, not several includes(): a needle that starts with '"' stops at every
// quote of a JSON chunk, and separate searches cost several times this one.
const WORTH = /"(?:usage"|error"|response\.)|^event:|\[DONE\]/m;

/**
 * Cheap test on an event's raw text (or its data): could it carry usage, an error, the end of the
 * stream or of a Responses stream? An event with an `event:` field is always read.
 */
export function worthParsing(text: string): boolean {
  return WORTH.test(text);
}

function errorOf(v: unknown): EventFacts['error'] {
  if (!isObj(v)) return typeof v === 'string' ? { message: v, code: null } : null;
  const code = v.code;
  return { message: typeof v.message === 'string' ? v.message : 'upstream error', code: code === undefined || code === null ? null : String(code) };
}

/** An event's data as a JSON object, or null when it is not one (garbage is the upstream's, not ours). */
function parseObject(data: string): Obj | null {
  try {
    const o: unknown = JSON.parse(data);
    return isObj(o) ? o : null;
  } catch {
    return null;
  }
}

export function readEvent(api: Api, eventName: string | undefined, data: string): EventFacts | null {
  const o = parseObject(data);
  if (!o) return null;
  const facts: EventFacts = { usage: null, model: null, error: null, done: false, usageOnly: false };
  const type = typeof o.type === 'string' ? o.type : eventName;
  if (api === 'responses' || (type !== undefined && type.startsWith('response.'))) {
    const response = isObj(o.response) ? o.response : null;
    if (response) {
      facts.usage = normalizeUsage(response.usage);
      if (typeof response.model === 'string' && response.model !== '') facts.model = response.model;
      if (type === 'response.failed') facts.error = errorOf(response.error) ?? { message: 'response failed', code: null };
    }
    if (type !== undefined && RESPONSE_END.has(type)) facts.done = true;
    if (type === 'error' || eventName === 'error') facts.error = errorOf(o.error ?? o);
    return facts;
  }
  facts.usage = normalizeUsage(o.usage) ?? (isObj(o.x_groq) ? normalizeUsage(o.x_groq.usage) : null);
  if (typeof o.model === 'string' && o.model !== '') facts.model = o.model;
  if (o.error !== undefined && o.error !== null) facts.error = errorOf(o.error);
  else if (eventName === 'error') facts.error = errorOf(o);
  facts.usageOnly = facts.usage !== null && Array.isArray(o.choices) && o.choices.length === 0;
  return facts;
}

/** The generated text an event carries (content, reasoning, tool-call arguments), and whether it carried any. */
export function outputOf(api: Api, data: string): string | null {
  const o = parseObject(data);
  if (!o) return null;
  if (api === 'responses') {
    const t = typeof o.type === 'string' ? o.type : '';
    return t.endsWith('.delta') && typeof o.delta === 'string' ? o.delta : null;
  }
  if (!Array.isArray(o.choices)) return null;
  let text: string | null = null;
  const add = (v: unknown) => {
    if (typeof v === 'string' && v !== '') text = (text ?? '') + v;
  };
  for (const choice of o.choices) {
    if (!isObj(choice)) continue;
    add(choice.text);
    const d = choice.delta;
    if (!isObj(d)) continue;
    add(d.content);
    add(d.reasoning_content);
    add(d.reasoning);
    if (Array.isArray(d.tool_calls)) {
      for (const call of d.tool_calls) if (isObj(call) && isObj(call.function)) add(call.function.arguments);
    }
  }
  return text;
}
