// Finds where SSE events end in a byte stream (a blank line: LF LF, CR CR, CRLF CRLF or any mix),
// scanning each byte once however the stream is split. The SSE meter reads a stream event by event
// with it, and the hide-usage path drops one whole event's bytes and forwards every other byte
// unchanged.

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

/** The events a push completed: their bytes back to back, and where each ends. */
export interface ScannedEvents {
  /** The complete events, in order (part of the scanner's buffer: read it before the next push). */
  readonly bytes: Buffer;
  /** Where each event ends in `bytes` (exclusive), ascending; the last is `bytes.length`. */
  readonly ends: readonly number[];
}

export interface BoundaryScanner {
  /** Appends bytes; returns the complete events now available (none: `ends` is empty). */
  push(chunk: Uint8Array): ScannedEvents;
  /** Bytes of the event not yet complete. */
  pending(): Buffer;
  /** Forgets the pending bytes (after they were forwarded as they are). */
  clear(): void;
}

export function createBoundaryScanner(): BoundaryScanner {
  let buf: Buffer = EMPTY;
  let pos = 0; // next byte to scan
  let atLineStart = true; // `pos` is where a line begins (an LF or CR there is an empty line)
  let lastWasCr = false; // the byte before `pos` was a CR (a following LF belongs to it)
  let ends: number[] = [];

  /** Any line ending: a byte at a time. */
  function scanBytes(): void {
    for (; pos < buf.length; pos++) {
      const b = buf[pos];
      if (b === LF && lastWasCr) {
        lastWasCr = false;
        continue;
      }
      lastWasCr = b === CR;
      if (b !== LF && b !== CR) {
        atLineStart = false;
        continue;
      }
      const empty = atLineStart;
      atLineStart = true;
      if (!empty) continue;
      let end = pos + 1;
      if (b === CR && buf[end] === LF) {
        end++;
        pos++;
        lastWasCr = false;
      }
      ends.push(end);
    }
  }

  /** No CR ahead (what every provider sends): jump natively from LF to LF. */
  function scanLf(): void {
    while (pos < buf.length) {
      if (atLineStart && buf[pos] === LF) {
        ends.push(++pos);
        continue;
      }
      const nl = buf.indexOf(LF, pos);
      if (nl === -1) {
        atLineStart = false;
        pos = buf.length;
        return;
      }
      pos = nl + 1;
      atLineStart = true;
    }
  }

  return {
    push(chunk) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      buf = buf.length === 0 ? bytes : Buffer.concat([buf, bytes]);
      ends = [];
      if (!lastWasCr && buf.indexOf(CR, pos) === -1) scanLf();
      else scanBytes();
      const done = ends.length === 0 ? 0 : (ends[ends.length - 1] as number);
      if (done === 0) return { bytes: EMPTY, ends };
      const events = buf.subarray(0, done);
      buf = buf.subarray(done);
      pos -= done;
      return { bytes: events, ends };
    },
    pending: () => buf,
    clear() {
      buf = EMPTY;
      pos = 0;
      atLineStart = true;
    },
  };
}
