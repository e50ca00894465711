// Every request gets an id: the client's `x-request-id` when it is a sane token, else a new one.
// It goes upstream, back to the client, into the log line and the ledger.
import { randomFillSync } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { requestLog, type RequestLog } from '../log/logger.js';

const VALID = /^[A-Za-z0-9._:-]{8,128}$/;

/** A header as Node parsed it (cheaper than building a fetch Headers object per request). */
export function header(c: { env: HttpBindings }, name: string): string | undefined {
  const v = c.env.incoming.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The address a request came from, as the bad-key limiter counts it. */
export const clientAddress = (c: { env: HttpBindings }): string => c.env.incoming.socket.remoteAddress ?? 'unknown';

/** Random bytes for request ids, drawn for 128 ids at a time (as randomUUID draws for its own). */
const pool = Buffer.alloc(16 * 128);
let drawn = pool.length;

/**
 * A request id of Tollgate's own: unique, 128 random bits as 32 hex digits. (Made from a
 * randomUUID, minus its dashes, it cost three times as much: the replaceAll alone twice this.)
 */
export function newRequestId(): string {
  if (drawn === pool.length) {
    randomFillSync(pool);
    drawn = 0;
  }
  const id = `tg_${pool.toString('hex', drawn, drawn + 16)}`;
  drawn += 16;
  return id;
}

export function requestIdMiddleware(logger: Logger): MiddlewareHandler<{ Bindings: HttpBindings; Variables: { requestId: string; log: RequestLog } }> {
  return async function requestId(c, next) {
    const given = header(c, 'x-request-id');
    const id = given && VALID.test(given) ? given : newRequestId();
    c.set('requestId', id);
    c.set('log', requestLog(logger, id));
    await next();
  };
}
