// What Anthropic Messages events tell the meter. Usage is split across events: message_start
// carries the input side (and an early output count), message_delta the final cumulative output
// (and, in newer API versions, input and cache counts again, which may differ). Each field is
// overwritten, never summed; the usage is reported once message_delta has come, so a stream cut
// before it is counted from what was streamed (an early output_tokens of 1 is not a charge).
import type { EventFacts, UsageDialect } from '../../meter/dialect.js';
import { usageFromJsonBody } from '../../meter/json-usage.js';
import { isObj, parseObject, type Obj } from '../../meter/usage.js';
import { mergeUsage, normalizeAnthropicUsage } from './usage.js';

function errorOf(v: unknown): EventFacts['error'] {
  if (!isObj(v)) return { message: 'upstream error', code: null };
  return { message: typeof v.message === 'string' ? v.message : 'upstream error', code: typeof v.type === 'string' ? v.type : null };
}

/** The text a content_block_delta carries: text, thinking, or a tool's input JSON. */
function outputOf(data: string): string | null {
  const o = parseObject(data);
  if (!o || o.type !== 'content_block_delta' || !isObj(o.delta)) return null;
  const d = o.delta;
  const t = typeof d.text === 'string' ? d.text : typeof d.thinking === 'string' ? d.thinking : typeof d.partial_json === 'string' ? d.partial_json : null;
  return t === '' ? null : t;
}

/** One stream's reader: it keeps message_start's usage until message_delta completes it. */
function streamReader(): UsageDialect {
  let started: Obj | null = null;
  return {
    usageOnlyChunk: false,
    readEvent(eventName, data) {
      const o = parseObject(data);
      if (!o) return null;
      const type = typeof o.type === 'string' ? o.type : eventName;
      const facts: EventFacts = { usage: null, model: null, error: null, done: false, usageOnly: false };
      if (type === 'message_start' && isObj(o.message)) {
        const m = o.message;
        if (typeof m.model === 'string' && m.model !== '') facts.model = m.model;
        if (isObj(m.usage)) started = m.usage;
      } else if (type === 'message_delta' && isObj(o.usage)) {
        started = mergeUsage(started, o.usage);
        facts.usage = normalizeAnthropicUsage(started);
      } else if (type === 'message_stop') {
        facts.done = true;
      } else if (type === 'error') {
        facts.error = errorOf(o.error);
      }
      return facts;
    },
    outputOf,
    fromJson: (text) => usageFromJsonBody(text, normalizeAnthropicUsage),
  };
}

/** The Messages API (`POST /v1/messages`), streamed or not. */
export const messagesDialect: UsageDialect = { ...streamReader(), forStream: streamReader };
