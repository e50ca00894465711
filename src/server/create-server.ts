// The HTTP server around the app, with the client-side timeouts applied: a client trickling its
// headers or its body is cut off before it can hold anything (nothing is reserved until the whole
// body has arrived).
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Config } from '../config/loader.js';
import { answerClientError } from './client-error.js';

type FetchCallback = Parameters<typeof createAdaptorServer>[0]['fetch'];

/** Node checks the headers and request timeouts only this often (30 s unless told), so it is tied to them. */
const checkEvery = (s: Config['server']) => Math.max(100, Math.min(1000, Math.floor(Math.min(s.headers_timeout_ms, s.request_timeout_ms) / 2)));

/** `fetch` is the app's (`app.fetch`): the app is built for HTTP/1 bindings, which this server gives it. */
export function createServer(config: Config, fetch: (request: Request, env: never) => Response | Promise<Response>): Server {
  const s = config.server;
  const server = createAdaptorServer({
    fetch: fetch as FetchCallback, hostname: s.host,
    serverOptions: {
      headersTimeout: s.headers_timeout_ms, requestTimeout: s.request_timeout_ms, keepAliveTimeout: s.keep_alive_timeout_ms,
      connectionsCheckingInterval: checkEvery(s),
    },
  }) as Server;
  server.maxConnections = s.max_connections;
  server.on('clientError', answerClientError);
  return server;
}
