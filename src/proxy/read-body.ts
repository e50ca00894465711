// Reads a request body with a size limit, refusing an oversized one while it streams in (413)
// rather than after buffering it all, and parses it as a JSON object.
import type { IncomingMessage } from 'node:http';
import { badRequest, GatewayError, requestTooLarge } from '../core/errors.js';

const tooLarge = (limit: number) =>
  requestTooLarge(`request body is larger than ${limit} bytes`);

export function readBody(incoming: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(incoming.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  // Listeners rather than for-await: no async iterator and no promise per chunk on every request.
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onBroken);
      incoming.off('close', onBroken);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        // Refused while it streams in: the rest is never read (the connection goes with it).
        incoming.destroy();
        reject(tooLarge(limit));
        return;
      }
      parts.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size));
    };
    const onBroken = (e?: unknown) => {
      done();
      reject(new GatewayError({ status: 400, code: 'invalid_request_error', message: 'the request body was not received in full', cause: e }));
    };
    if (incoming.readableEnded) return onEnd();
    if (incoming.destroyed) return onBroken();
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onBroken);
    incoming.on('close', onBroken);
  });
}

// ignoreBOM keeps a byte-order mark in the text, so JSON.parse refuses it: the upstream would too.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** No API body nests this deep; deeper ones are refused before they are parsed or forwarded. */
const MAX_DEPTH = 128;

/** Whether JSON text nests objects/arrays deeper than `max` (one pass over the bytes, strings skipped). */
export function nestsDeeperThan(raw: Buffer, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === 0x22) {
      for (i++; i < raw.length && raw[i] !== 0x22; i++) if (raw[i] === 0x5c) i++;
    } else if (b === 0x7b || b === 0x5b) {
      if (++depth > max) return true;
    } else if (b === 0x7d || b === 0x5d) {
      depth--;
    }
  }
  return false;
}

export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  // Only a body long enough to hold that many brackets is scanned.
  if (raw.length > 2 * MAX_DEPTH && nestsDeeperThan(raw, MAX_DEPTH)) throw badRequest(`request body nests deeper than ${MAX_DEPTH} levels`);
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch (e) {
    throw badRequest('request body is not valid UTF-8', null, e);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw badRequest('request body is not valid JSON', null, e);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('request body must be a JSON object');
  return value as Record<string, unknown>;
}
