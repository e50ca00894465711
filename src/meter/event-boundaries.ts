// Finds where SSE events end in a byte stream (a blank line: LF LF, CR CR, CRLF CRLF or any mix),
// scanning each byte once however the stream is split. The SSE meter reads a stream event by event
// with it, and the hide-usage path drops one whole event's bytes and forwards every other byte
// unchanged.

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export interface BoundaryScanner {
  /** Appends bytes; returns the complete events (each a byte range of the pending buffer) now available. */
  push(chunk: Uint8Array): Buffer[];
  /** Bytes of the event not yet complete. */
  pending(): Buffer;
  /** Forgets the pending bytes (after they were forwarded as they are). */
  clear(): void;
}

export function createBoundaryScanner(): BoundaryScanner {
  let buf: Buffer = EMPTY;
  let pos = 0; // next byte to scan
  let lineStart = 0; // where the current line began
  let lastWasCr = false; // the byte before `pos` was a CR (a following LF belongs to it)
  let events: Buffer[] = [];
  let eventStart = 0;

  /** Any line ending: a byte at a time. */
  function scanBytes(): void {
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
  }

  /** No CR ahead (what every provider sends): jump from LF to LF natively. */
  function scanLf(): void {
    for (;;) {
      const nl = buf.indexOf(LF, pos);
      if (nl === -1) {
        pos = buf.length;
        return;
      }
      if (nl === lineStart) {
        events.push(buf.subarray(eventStart, nl + 1));
        eventStart = nl + 1;
      }
      lineStart = nl + 1;
      pos = nl + 1;
    }
  }

  return {
    push(chunk) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      buf = buf.length === 0 ? bytes : Buffer.concat([buf, bytes]);
      events = [];
      eventStart = 0;
      if (!lastWasCr && buf.indexOf(CR, pos) === -1) scanLf();
      else scanBytes();
      if (eventStart > 0) {
        buf = buf.subarray(eventStart);
        pos -= eventStart;
        lineStart -= eventStart;
      }
      return events;
    },
    pending: () => buf,
    clear() {
      buf = EMPTY;
      pos = 0;
      lineStart = 0;
    },
  };
}
