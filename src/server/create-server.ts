// The HTTP server around the app, with the client-side timeouts applied: a client trickling its
// headers or its body is cut off before it can hold anything (nothing is reserved until the whole
// body has arrived).
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { Config } from '../config/loader.js';

type FetchCallback = Parameters<typeof createAdaptorServer>[0]['fetch'];

/** `fetch` is the app's (`app.fetch`): the app is built for HTTP/1 bindings, which this server gives it. */
export function createServer(config: Config, fetch: (request: Request, env: never) => Response | Promise<Response>): Server {
  const server = createAdaptorServer({ fetch: fetch as FetchCallback, hostname: config.server.host }) as Server;
  server.headersTimeout = config.server.headers_timeout_ms;
  server.requestTimeout = config.server.request_timeout_ms;
  server.keepAliveTimeout = config.server.keep_alive_timeout_ms;
  return server;
}
