// What one OpenAI-format SSE event tells the meter: usage, the model, an error inside a 200
// stream, the end — for Chat Completions / Completions chunks and for Responses API events. Only
// events that can carry those are parsed (see meter/sse-meter.ts).
import type { EventFacts, UsageDialect } from '../../meter/dialect.js';
import { usageFromJsonBody } from '../../meter/json-usage.js';
import { isObj, parseObject, type Obj } from '../../meter/usage.js';
import { groqUsage } from './quirks.js';
import { normalizeUsage } from './usage.js';

const RESPONSE_END = new Set(['response.completed', 'response.failed', 'response.incomplete']);

function errorOf(v: unknown): EventFacts['error'] {
  if (!isObj(v)) return typeof v === 'string' ? { message: v, code: null } : null;
  const code = v.code;
  return { message: typeof v.message === 'string' ? v.message : 'upstream error', code: code === undefined || code === null ? null : String(code) };
}

function responsesFacts(o: Obj, type: string | undefined, eventName: string | undefined): EventFacts {
  const facts: EventFacts = { usage: null, model: null, error: null, done: false, usageOnly: false };
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

function readEvent(responses: boolean, eventName: string | undefined, data: string): EventFacts | null {
  const o = parseObject(data);
  if (!o) return null;
  const type = typeof o.type === 'string' ? o.type : eventName;
  if (responses || (type !== undefined && type.startsWith('response.'))) return responsesFacts(o, type, eventName);
  const facts: EventFacts = { usage: null, model: null, error: null, done: false, usageOnly: false };
  facts.usage = normalizeUsage(o.usage) ?? normalizeUsage(groqUsage(o));
  if (typeof o.model === 'string' && o.model !== '') facts.model = o.model;
  if (o.error !== undefined && o.error !== null) facts.error = errorOf(o.error);
  else if (eventName === 'error') facts.error = errorOf(o);
  facts.usageOnly = facts.usage !== null && Array.isArray(o.choices) && o.choices.length === 0;
  return facts;
}

function chunkOutput(data: string): string | null {
  const o = parseObject(data);
  if (!o || !Array.isArray(o.choices)) return null;
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

function responsesOutput(data: string): string | null {
  const o = parseObject(data);
  if (!o) return null;
  const t = typeof o.type === 'string' ? o.type : '';
  return t.endsWith('.delta') && typeof o.delta === 'string' ? o.delta : null;
}

const fromJson = (text: string) => usageFromJsonBody(text, normalizeUsage);

/** Chat Completions and Completions: chunks with `choices`, usage on the last (or every) chunk. */
export const chunkDialect: UsageDialect = {
  usageOnlyChunk: true,
  readEvent: (eventName, data) => readEvent(false, eventName, data),
  outputOf: chunkOutput,
  fromJson,
};

/** The Responses API: typed events, usage in `response.completed`. */
export const responsesDialect: UsageDialect = {
  usageOnlyChunk: false,
  readEvent: (eventName, data) => readEvent(true, eventName, data),
  outputOf: responsesOutput,
  fromJson,
};

/** Embeddings: never a stream; usage in the JSON body. */
export const embeddingsDialect: UsageDialect = { ...chunkDialect, usageOnlyChunk: false };
