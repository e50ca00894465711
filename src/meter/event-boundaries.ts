// Finds where SSE events end in a byte stream (a blank line: LF LF, CR CR, CRLF CRLF or any mix),
// scanning each byte once however the stream is split. Only the hide-usage path needs this: it
// must drop one whole event's bytes and forward every other byte unchanged.

const LF = 0x0a;
const CR = 0x0d;

export interface BoundaryScanner {
  /** Appends bytes; returns the complete events (each a byte range of the pending buffer) now available. */
  push(chunk: Uint8Array): Uint8Array[];
  /** Bytes of the event not yet complete. */
  pending(): Uint8Array;
  /** Forgets the pending bytes (after they were forwarded as they are). */
  clear(): void;
}

export function createBoundaryScanner(): BoundaryScanner {
  let buf: Uint8Array = new Uint8Array(0);
  let pos = 0; // next byte to scan
  let lineStart = 0; // where the current line began
  let lastWasCr = false; // the byte before `pos` was a CR (a following LF belongs to it)

  return {
    push(chunk) {
      if (buf.length === 0) buf = chunk;
      else {
        const next = new Uint8Array(buf.length + chunk.length);
        next.set(buf, 0);
        next.set(chunk, buf.length);
        buf = next;
      }
      const events: Uint8Array[] = [];
      let eventStart = 0;
      for (; pos < buf.length; pos++) {
        const b = buf[pos];
        if (b === LF && lastWasCr) {
          lastWasCr = false;
          lineStart = pos + 1;
          continue;
        }
        lastWasCr = b === CR;
        if (b !== LF && b !== CR) continue;
        const empty = pos === lineStart;
        lineStart = pos + 1;
        if (!empty) continue;
        let end = pos + 1;
        if (b === CR && buf[end] === LF) {
          end++;
          pos++;
          lastWasCr = false;
          lineStart = end;
        }
        events.push(buf.subarray(eventStart, end));
        eventStart = end;
      }
      if (eventStart > 0) {
        buf = buf.subarray(eventStart);
        pos -= eventStart;
        lineStart -= eventStart;
      }
      return events;
    },
    pending: () => buf,
    clear() {
      buf = new Uint8Array(0);
      pos = 0;
      lineStart = 0;
    },
  };
}
