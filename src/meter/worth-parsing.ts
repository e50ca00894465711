// Which SSE events the meter parses as they pass (sse-meter.ts): those whose text could carry
// usage, an error, the end of the stream or of a Responses stream. The rest wait as text.

// One regular expression, not several includes(): a needle that starts with '"' stops at every
// quote of a JSON chunk, and separate searches cost several times this one. `event:` at a line's
// start is found after a line terminator (those of the `m` flag's `^`), and at the very start by
// startsWith: a multiline `^` among the alternatives made the search twice as slow.
const WORTH = /"(?:usage"|error"|response\.)|[\n\r\u2028\u2029]event:|\[DONE\]/;

/**
 * Cheap test on an event's raw text (or its data, or several whole events at once: it holds for
 * their text when it holds for one of them): could it carry usage, an error, the end of the
 * stream or of a Responses stream? An event with an `event:` field is always read.
 */
export function worthParsing(text: string): boolean {
  return text.startsWith('event:') || WORTH.test(text);
}

const WORTH_FROM = new RegExp(WORTH.source, 'g');

/** In a text of whole events, where the first event from `from` (an event's start) worth parsing has a match; -1: none. */
export function nextWorth(text: string, from: number): number {
  if (text.startsWith('event:', from)) return from;
  WORTH_FROM.lastIndex = from;
  const m = WORTH_FROM.exec(text);
  if (!m) return -1;
  // A line break then `event:`: the match marks the event of the `e`.
  return m[0].endsWith('event:') ? m.index + 1 : m.index;
}
