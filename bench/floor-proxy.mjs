// The floor: a bare pass-through built from the same hono + @hono/node-server + undici as
// Tollgate, with no auth, no metering and no store — what any proxy on these parts costs. It uses
// the same transport Tollgate does (raw body from Node's request, a pooled undici Agent, the reply
// written straight onto Node's response), so Tollgate ÷ floor isolates what metering adds.
// Usage: node bench/floor-proxy.mjs <upstreamBaseUrl>   (prints `ready <port>`)
import { EventEmitter } from 'node:events';
import { pipeline } from 'node:stream';
import { serve } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { Agent, request } from 'undici';

const upstream = process.argv[2];
// No cap on upstream connections, so 1,000 streams can be open at once.
const agent = new Agent({ keepAliveTimeout: 10_000 });

async function readAll(incoming) {
  const parts = [];
  for await (const chunk of incoming) parts.push(chunk);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

const app = new Hono();
app.post('/v1/*', async (c) => {
  const { incoming, outgoing } = c.env;
  const body = await readAll(incoming);
  // An EventEmitter is the abort signal Tollgate gives undici too (cheaper than an AbortController).
  const gone = new EventEmitter();
  outgoing.once('close', () => { if (!outgoing.writableFinished) gone.emit('abort'); });
  const reply = await request(`${upstream}${c.req.path.slice(3)}`, {
    method: 'POST', body, dispatcher: agent, signal: gone,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-floor' },
  });
  const type = String(reply.headers['content-type'] ?? 'application/json');
  outgoing.writeHead(reply.statusCode, { 'content-type': type });
  if (type.startsWith('text/event-stream')) outgoing.flushHeaders();
  // A client that leaves ends the pipeline with an error: nothing to do but let it close.
  pipeline(reply.body, outgoing, () => undefined);
  return RESPONSE_ALREADY_SENT;
});
app.onError((err, c) => c.json({ error: { message: String(err.message) } }, 502));

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`ready ${info.port}`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections?.();
  void agent.close().finally(() => process.exit(0));
});
