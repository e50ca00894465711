// Streams an upstream body to the client as it arrives, through a tap that reads usage on the
// way (the SSE meter, or a bounded copy of a JSON body). Ends exactly once, whichever comes
// first: the upstream's end, an upstream error, or the client going away.
import type { UpstreamReply } from '../upstream/client.js';

export interface Tap {
  /** Bytes to forward now for one upstream chunk. */
  push(chunk: Uint8Array): Uint8Array;
  /** Bytes still held back at the end. */
  flush(): Uint8Array;
}

export type RelayEnd = 'done' | 'upstream_error' | 'client_abort';

export interface RelayOptions {
  readonly reply: UpstreamReply;
  readonly tap: Tap;
  /** Aborts the upstream request (the client went away). */
  readonly abort: () => void;
  readonly onEnd: (how: RelayEnd, error?: unknown) => void;
}

export function relay(o: RelayOptions): ReadableStream<Uint8Array> {
  const chunks = o.reply.body[Symbol.asyncIterator]();
  let ended = false;
  const end = (how: RelayEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    o.onEnd(how, error);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const next = await chunks.next();
            if (next.done) {
              const rest = o.tap.flush();
              if (rest.byteLength > 0) controller.enqueue(rest);
              controller.close();
              end('done');
              return;
            }
            const out = o.tap.push(next.value as Uint8Array);
            if (out.byteLength > 0) {
              controller.enqueue(out);
              return;
            }
          }
        } catch (err) {
          if (ended) return;
          const rest = o.tap.flush();
          if (rest.byteLength > 0) controller.enqueue(rest);
          end('upstream_error', err);
          controller.error(err);
        }
      },
      cancel(reason) {
        end('client_abort', reason);
        // Ending the iteration destroys the body without an error event nobody would hear.
        void chunks.return?.();
        o.abort();
      },
    },
    { highWaterMark: 0 },
  );
}

/** A tap for a non-streaming body: forwards every chunk untouched and keeps a bounded copy to read usage from. */
export function createCollector(limit: number): Tap & { text(): string; body(): Buffer; readonly overflowed: boolean; readonly bytes: number } {
  const parts: Uint8Array[] = [];
  let size = 0;
  let overflowed = false;
  return {
    get overflowed() {
      return overflowed;
    },
    get bytes() {
      return size;
    },
    push(chunk) {
      size += chunk.byteLength;
      if (size > limit) overflowed = true;
      else parts.push(chunk);
      return chunk;
    },
    flush: () => new Uint8Array(0),
    body: () => (parts.length === 1 ? Buffer.from(parts[0] as Uint8Array) : Buffer.concat(parts)),
    text: () => Buffer.concat(parts).toString('utf8'),
  };
}
