// How one wire format reports what a response used: the facts of one SSE event, the text it
// generated, and the usage in a whole JSON body. The meter is written once over this interface;
// each provider module (providers/<kind>/) supplies the dialects of its endpoints.
import type { Usage } from './usage.js';

export interface EventFacts {
  usage: Usage | null;
  model: string | null;
  error: { message: string; code: string | null } | null;
  done: boolean;
  /** A chunk with no choices and a usage: the usage-only chunk Tollgate may have asked for. */
  usageOnly: boolean;
}

export interface UsageDialect {
  /** Whether a stream of this format ends with a usage-only chunk that can be hidden. */
  readonly usageOnlyChunk: boolean;
  /** What one SSE event says (null: not a JSON object, nothing to learn). */
  readEvent(eventName: string | undefined, data: string): EventFacts | null;
  /** The generated text an event carries (content, reasoning, tool-call arguments), or null when none. */
  outputOf(data: string): string | null;
  /** The usage and model of a whole (non-streaming) JSON body. */
  fromJson(text: string): { usage: Usage | null; model: string | null };
  /** A fresh reader for one stream, when the format's usage is split across events (Anthropic's). */
  forStream?(): UsageDialect;
}
