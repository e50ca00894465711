// Reads usage from an SSE stream on its way to the client, adding no delay.
//
// Design, for speed: every event goes through eventsource-parser, but an event's JSON is parsed
// only when it can matter — when its text mentions "usage", "error" or a Responses end event
// (see worthParsing). Other events' data is kept raw (bounded) and read only if the report's
// `outputText`/`sawOutput` are asked for, which happens only when a stream ended without usage.
// Without hideUsageChunk, push() returns the very chunk it was given. With it, bytes are held
// only until the end of the event they belong to, so the usage-only chunk can be dropped whole.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { createBoundaryScanner } from './event-boundaries.js';
import { outputOf, readEvent, worthParsing } from './sse-events.js';
import type { Api, Usage } from './usage.js';

export interface StreamReport {
  readonly usage: Usage | null;
  readonly model: string | null;
  readonly outputText: string;
  readonly sawOutput: boolean;
  readonly events: number;
  readonly error: { message: string; code: string | null } | null;
  readonly done: boolean;
}

export interface SseMeterOptions {
  api: Api;
  hideUsageChunk: boolean;
  maxPendingBytes?: number;
  maxTextChars?: number;
}

export interface SseMeter {
  push(chunk: Uint8Array): Uint8Array;
  flush(): Uint8Array;
  report(): StreamReport;
}

const EMPTY: Uint8Array = new Uint8Array(0);
const MAX_EVENT_CHARS = 16 * 1024 * 1024;

export function createSseMeter(options: SseMeterOptions): SseMeter {
  const { api } = options;
  const maxPending = options.maxPendingBytes ?? 1024 * 1024;
  const maxText = options.maxTextChars ?? 4 * 1024 * 1024;
  let hiding = options.hideUsageChunk && (api === 'chat' || api === 'completions');
  const decoder = new TextDecoder();
  const scanner = hiding ? createBoundaryScanner() : null;

  let usage: Usage | null = null;
  let model: string | null = null;
  let error: StreamReport['error'] = null;
  let done = false;
  let events = 0;
  const raw: string[] = [];
  let rawChars = 0;
  let broken = false;
  let flushed = false;
  let hideThis = false;

  const onEvent = (e: EventSourceMessage) => {
    events++;
    if (e.data === '[DONE]') {
      done = true;
      return;
    }
    if (worthParsing(e.event, e.data)) {
      const facts = readEvent(api, e.event, e.data);
      if (facts) {
        if (facts.usage) usage = facts.usage;
        if (facts.model) model = facts.model;
        if (facts.error) error = facts.error;
        if (facts.done) done = true;
        if (facts.usageOnly && hiding) hideThis = true;
        if (facts.usage) return;
      }
    }
    if (rawChars + e.data.length <= maxText) {
      raw.push(e.data);
      rawChars += e.data.length;
    }
  };
  const parser = createParser({ onEvent, maxBufferSize: MAX_EVENT_CHARS });

  const feed = (text: string) => {
    if (broken || text === '') return;
    try {
      parser.feed(text);
    } catch (err) {
      // The parser gave up on an oversized event: stop reading this stream, keep forwarding it.
      broken = true;
      error ??= { message: `stream not readable: ${(err as Error).message}`, code: 'meter_overflow' };
    }
  };

  function pushHiding(chunk: Uint8Array): Uint8Array {
    const ready = (scanner as NonNullable<typeof scanner>).push(chunk);
    const out: Uint8Array[] = [];
    let size = 0;
    for (const bytes of ready) {
      hideThis = false;
      feed(decoder.decode(bytes, { stream: true }));
      if (hideThis) continue;
      out.push(bytes);
      size += bytes.length;
    }
    const pending = (scanner as NonNullable<typeof scanner>).pending();
    if (pending.length > maxPending) {
      // No event boundary in sight: stop holding bytes back, and stop hiding.
      hiding = false;
      feed(decoder.decode(pending, { stream: true }));
      out.push(pending);
      size += pending.length;
      (scanner as NonNullable<typeof scanner>).clear();
    }
    return join(out, size);
  }

  return {
    push(chunk) {
      if (flushed) return chunk;
      if (!hiding || !scanner) {
        feed(decoder.decode(chunk, { stream: true }));
        return chunk;
      }
      return pushHiding(chunk);
    },
    flush() {
      if (flushed) return EMPTY;
      flushed = true;
      let rest: Uint8Array = EMPTY;
      if (hiding && scanner) {
        rest = scanner.pending();
        scanner.clear();
        feed(decoder.decode(rest, { stream: true }));
      }
      // Finish a last event the upstream never closed with a blank line.
      feed(`${decoder.decode()}\n\n`);
      return rest;
    },
    report() {
      let text: string | null = null;
      const output = () => {
        if (text === null) {
          text = '';
          for (const data of raw) text += outputOf(api, data) ?? '';
        }
        return text;
      };
      return {
        usage, error, done, events,
        get model() {
          // No event worth parsing named the model: take it from the latest one that does.
          for (let i = raw.length - 1; model === null && i >= Math.max(0, raw.length - 8); i--) {
            model = readEvent(api, undefined, raw[i] as string)?.model ?? null;
          }
          return model;
        },
        get outputText() {
          return output();
        },
        get sawOutput() {
          return raw.some((data) => outputOf(api, data) !== null) || (usage?.completionTokens ?? 0) > 0;
        },
      };
    },
  };
}

function join(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  if (parts.length === 0) return EMPTY;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
