// Reads usage from an SSE stream on its way to the client, adding no delay.
//
// Design, for speed: the stream is cut into whole events at blank lines (event-boundaries.ts, a
// native byte search), the events of a chunk are decoded in one go, and an event goes through
// eventsource-parser only when its text could matter now — when it mentions "usage", "error", a
// Responses event, an `event:` field or [DONE] (worth-parsing.ts). Every other event is kept as
// text (bounded) and parsed only if the report's `outputText`, `sawOutput`, `events` or a missing
// `model` are asked for, which happens only when a stream ended without usage. Without
// hideUsageChunk, push() returns the very chunk it was given. With it, bytes are held only until
// the end of the event they belong to, so the usage-only chunk can be dropped whole.
//
// An event that grows past maxPendingBytes without a blank line ends that: from there on every
// byte goes straight to the parser as it comes (and nothing more is hidden).
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { createBoundaryScanner } from './event-boundaries.js';
import { nextWorth, worthParsing } from './worth-parsing.js';
import type { UsageDialect } from './dialect.js';
import type { Usage } from './usage.js';
import { Report, type ReportSource, type StreamReport } from './stream-report.js';

export type { StreamReport } from './stream-report.js';

export interface SseMeterOptions {
  /** How this stream's format reports usage (its provider's dialect). */
  dialect: UsageDialect;
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
/** A block with a data line: the parser dispatches it as an event. */
const DISPATCHES = /^data(?::|\r?$)/m;

export function createSseMeter(options: SseMeterOptions): SseMeter {
  const dialect = options.dialect.forStream?.() ?? options.dialect;
  const maxPending = options.maxPendingBytes ?? 1024 * 1024;
  const maxText = options.maxTextChars ?? 4 * 1024 * 1024;
  let hiding = options.hideUsageChunk && dialect.usageOnlyChunk;
  const scanner = createBoundaryScanner();
  /** After an oversized event: bytes are decoded and parsed as they come, not event by event. */
  let direct: TextDecoder | null = null;

  let usage: Usage | null = null;
  let model: string | null = null;
  let error: StreamReport['error'] = null;
  let done = false;
  /** Text of the events not parsed yet, and of those parsed that reported nothing. */
  const kept: string[] = [];
  /** Data of direct-mode events that reported nothing (they all come after `kept`). */
  const keptData: string[] = [];
  let keptChars = 0;
  /** Events parsed whose text is not in `kept` (so the lazy count does not see them). */
  let uncounted = 0;
  let broken = false;
  let flushed = false;
  let hideThis = false;
  let reported = false;
  /** What the report parsed from the kept events, and the output text (made when first asked). */
  let lazy: { data: string[]; events: number } | null = null;
  let output: string | null = null;

  const keep = (list: string[], text: string, isText: boolean) => {
    // A report read before the end (a client that left) is read again from the kept events.
    lazy = null;
    output = null;
    if (keptChars + text.length <= maxText) {
      list.push(text);
      keptChars += text.length;
    } else if (isText && DISPATCHES.test(text)) {
      uncounted++;
    }
  };

  const onEvent = (e: EventSourceMessage) => {
    if (direct) uncounted++;
    reported = true;
    if (e.data === '[DONE]') {
      done = true;
      return;
    }
    if (!direct || e.event === 'error' || worthParsing(e.data)) {
      const facts = dialect.readEvent(e.event, e.data);
      if (facts) {
        if (facts.usage) usage = facts.usage;
        if (facts.model) model = facts.model;
        if (facts.error) error = facts.error;
        if (facts.done) done = true;
        if (facts.usageOnly && hiding) hideThis = true;
        if (facts.usage) return;
      }
    }
    reported = false;
    if (direct) keep(keptData, e.data, false);
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

  /** One whole event's text, worth parsing: parsed now. True: hide it. */
  const takeWorth = (text: string): boolean => {
    hideThis = false;
    reported = false;
    feed(text);
    // Its text stays for the output count unless it reported usage (or was [DONE]).
    if (reported) uncounted++;
    else keep(kept, text, true);
    return hideThis;
  };

  /** One whole event: parsed now when it can matter, else kept as text. True: hide it. */
  const take = (text: string): boolean => {
    if (worthParsing(text)) return takeWorth(text);
    keep(kept, text, true);
    return false;
  };

  /**
   * Events `first` to `last` (exclusive) of an ASCII text, none worth parsing: kept as one text
   * (the lazy parse reads the kept texts in order, so a run is as good as its events one by one),
   * or event by event where the run would pass maxTextChars.
   */
  const keepRun = (text: string, ends: readonly number[], first: number, last: number) => {
    if (first === last) return;
    const from = first === 0 ? 0 : (ends[first - 1] as number);
    const to = ends[last - 1] as number;
    if (keptChars + (to - from) <= maxText) {
      keep(kept, from === 0 && to === text.length ? text : text.slice(from, to), true);
      return;
    }
    for (let k = first; k < last; k++) keep(kept, text.slice(k === 0 ? 0 : ends[k - 1], ends[k]), true);
  };

  /**
   * The events a push completed, decoded in one go. ASCII (every byte one character, so bytes
   * and characters line up): one search finds the events worth parsing, and the runs between
   * them are kept whole. Otherwise, unless nothing is worth parsing, each event is decoded and
   * taken on its own. Hidden events' byte ranges go into `hidden`.
   */
  const readEvents = (bytes: Buffer, ends: readonly number[], hidden: number[] | null) => {
    const text = bytes.toString('utf8');
    if (text.length !== bytes.length) {
      if (!worthParsing(text) && keptChars + text.length <= maxText) {
        keep(kept, text, true);
        return;
      }
      let start = 0;
      for (const end of ends) {
        if (take(bytes.toString('utf8', start, end)) && hidden) hidden.push(start, end);
        start = end;
      }
      return;
    }
    let run = 0;
    let k = 0;
    for (let at = nextWorth(text, 0); at !== -1;) {
      while ((ends[k] as number) <= at) k++;
      const start = k === 0 ? 0 : (ends[k - 1] as number);
      const end = ends[k] as number;
      keepRun(text, ends, run, k);
      if (takeWorth(text.slice(start, end)) && hidden) hidden.push(start, end);
      run = ++k;
      at = k < ends.length ? nextWorth(text, end) : -1;
    }
    keepRun(text, ends, run, ends.length);
  };

  /** From an oversized event on, bytes are parsed as they come: the pending ones first. */
  const goDirect = (pending: Uint8Array) => {
    direct = new TextDecoder();
    hiding = false;
    scanner.clear();
    feedDirect(pending);
  };
  const feedDirect = (bytes: Uint8Array) => feed((direct as TextDecoder).decode(bytes, { stream: true }));

  function pushEvents(chunk: Uint8Array): Uint8Array {
    const { bytes, ends } = scanner.push(chunk);
    const hidden: number[] | null = hiding ? [] : null;
    if (ends.length > 0) readEvents(bytes, ends, hidden);
    const pending = scanner.pending();
    if (!hidden) {
      if (pending.length > maxPending) goDirect(pending);
      return chunk;
    }
    // The complete events but the hidden ones.
    const out: Uint8Array[] = [];
    let size = 0;
    let at = 0;
    for (let i = 0; i < hidden.length; i += 2) {
      const from = hidden[i] as number;
      if (from > at) out.push(bytes.subarray(at, from));
      size += from - at;
      at = hidden[i + 1] as number;
    }
    if (at < bytes.length) out.push(at === 0 ? bytes : bytes.subarray(at));
    size += bytes.length - at;
    if (pending.length > maxPending) {
      // No event boundary in sight: stop holding bytes back, and stop hiding.
      out.push(pending);
      size += pending.length;
      goDirect(pending);
    }
    return join(out, size);
  }

  /** Data of every kept event, in order, and how many events the kept texts were. */
  const keptEvents = () => {
    if (lazy) return lazy;
    const data: string[] = [];
    let events = 0;
    const p = createParser({
      onEvent: (e) => {
        events++;
        data.push(e.data);
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
    try {
      for (const text of kept) p.feed(text);
      p.feed('\n\n');
    } catch {
      // Only an event past MAX_EVENT_CHARS: what was read before it stands.
    }
    lazy = { data: data.concat(keptData), events };
    return lazy;
  };

  const source: ReportSource = {
    events: () => uncounted + keptEvents().events,
    model() {
      // No event worth parsing named the model: take it from the latest one that does.
      const data = model === null ? keptEvents().data : [];
      for (let i = data.length - 1; model === null && i >= Math.max(0, data.length - 8); i--) {
        model = dialect.readEvent(undefined, data[i] as string)?.model ?? null;
      }
      return model;
    },
    outputText() {
      if (output === null) {
        output = '';
        for (const data of keptEvents().data) output += dialect.outputOf(data) ?? '';
      }
      return output;
    },
    sawOutput: () => keptEvents().data.some((data) => dialect.outputOf(data) !== null) || (usage?.completionTokens ?? 0) > 0,
  };

  return {
    push(chunk) {
      if (flushed) return chunk;
      if (direct) {
        feedDirect(chunk);
        return chunk;
      }
      return pushEvents(chunk);
    },
    flush() {
      if (flushed) return EMPTY;
      flushed = true;
      if (direct) {
        feed(`${direct.decode()}\n\n`);
        return EMPTY;
      }
      // A last event the upstream never closed with a blank line.
      const rest = scanner.pending();
      scanner.clear();
      if (rest.length > 0) take(`${rest.toString('utf8')}\n\n`);
      return hiding ? rest : EMPTY;
    },
    report() {
      return new Report(usage, error, done, source);
    },
  };
}

/** The parts in one buffer of `size` bytes (their total): from Node's pool, not zeroed, as every byte is written. */
function join(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  if (parts.length === 0) return EMPTY;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
