// The floor: a bare pass-through built from the same hono + @hono/node-server + undici, with no
// auth and no metering. What Tollgate adds is measured against this.
// Usage: node bench/floor-proxy.mjs <port> <upstreamBaseUrl>
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Agent, request } from 'undici';

const [port, upstream] = [Number(process.argv[2]), process.argv[3]];
const agent = new Agent({ connections: 256, keepAliveTimeout: 10_000 });
const app = new Hono();
app.post('/v1/*', async (c) => {
  const body = await c.req.arrayBuffer();
  const r = await request(`${upstream}${c.req.path.slice(3)}`, {
    method: 'POST', body: Buffer.from(body), dispatcher: agent,
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-floor' },
  });
  const headers = { 'content-type': String(r.headers['content-type'] ?? 'application/json') };
  if (headers['content-type'].startsWith('text/event-stream')) headers['transfer-encoding'] = 'chunked';
  r.body.on('error', () => undefined); // a client that left: nothing to do
  const chunks = r.body[Symbol.asyncIterator]();
  const stream = new ReadableStream({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel() { r.body.destroy(); },
  }, { highWaterMark: 0 });
  return new Response(stream, { status: r.statusCode, headers });
});
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => console.log(`ready ${info.port}`));
