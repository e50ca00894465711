// Writes an upstream body to the client through a tap (the SSE meter, or a copy of a JSON body),
// straight onto Node's response: each chunk as it arrives, back-pressure through 'drain', and the
// headers in the same write as the first chunk (a stream's go out within the same event-loop turn
// even when no chunk has come). Ends exactly once, whichever comes first: the upstream's end, an
// upstream error, or the client going away.
import type { ServerResponse } from 'node:http';
import type { UpstreamReply } from '../upstream/client.js';

export interface Tap {
  /** Bytes to forward now for one upstream chunk. */
  push(chunk: Uint8Array): Uint8Array;
  /** Bytes still held back at the end. */
  flush(): Uint8Array;
}

export type RelayEnd = 'done' | 'upstream_error' | 'client_abort';

export interface ClientWriteOptions {
  readonly outgoing: ServerResponse;
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Send the headers before any body (streams: the client learns at once that it is served). */
  readonly flushHeaders: boolean;
  readonly reply: UpstreamReply;
  readonly tap: Tap;
  readonly onEnd: (how: RelayEnd, error?: unknown) => void;
  /** True once the body has grown past what is allowed: it is cut off there. */
  readonly tooLarge?: () => boolean;
}

export function writeToClient(o: ClientWriteOptions): void {
  const { outgoing, reply, tap } = o;
  const body = reply.body;
  let ended = false;
  const finish = (how: RelayEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    body.off('data', onData);
    body.off('end', onUpstreamEnd);
    outgoing.off('close', onClientClose);
    o.onEnd(how, error);
  };
  const resume = () => body.resume();
  const onData = (chunk: Buffer) => {
    const out = tap.push(chunk);
    if (o.tooLarge?.()) {
      onUpstreamError(new Error('upstream response larger than upstream.max_response_bytes'));
      body.destroy();
      return;
    }
    if (out.byteLength > 0 && !outgoing.write(out)) {
      body.pause();
      outgoing.once('drain', resume);
    }
  };
  const onUpstreamEnd = () => {
    const rest = tap.flush();
    finish('done');
    outgoing.end(rest.byteLength > 0 ? rest : undefined);
  };
  const onUpstreamError = (err: Error) => {
    if (ended) return; // we destroyed the body ourselves after the end
    const rest = tap.flush();
    if (rest.byteLength > 0) outgoing.write(rest);
    finish('upstream_error', err);
    outgoing.destroy(err);
  };
  const onClientClose = () => {
    if (outgoing.writableFinished) return;
    finish('client_abort');
    body.destroy();
  };

  outgoing.writeHead(o.status, o.headers);
  // A stream's headers go out at the end of this turn of the event loop: with its first chunk
  // when that is already here (one write instead of two), on their own when it is not.
  if (o.flushHeaders) {
    setImmediate(() => {
      // (headersSent is already true after writeHead; a flush once they went with a chunk writes nothing.)
      if (!outgoing.destroyed && !outgoing.writableEnded) outgoing.flushHeaders();
    });
  }
  body.on('data', onData);
  body.once('end', onUpstreamEnd);
  body.on('error', onUpstreamError);
  outgoing.once('close', onClientClose);
}

/** A tap for a non-streaming body: forwards every chunk untouched and keeps a bounded copy to read usage from. */
export class Collector implements Tap {
  private readonly parts: Uint8Array[] = [];
  /** Bytes seen, kept or not. */
  bytes = 0;
  /** True once the body grew past the limit (the copy stops there). */
  overflowed = false;

  constructor(private readonly limit: number) {}

  push(chunk: Uint8Array): Uint8Array {
    this.bytes += chunk.byteLength;
    if (this.bytes > this.limit) this.overflowed = true;
    else this.parts.push(chunk);
    return chunk;
  }

  flush(): Uint8Array {
    return new Uint8Array(0);
  }

  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}
