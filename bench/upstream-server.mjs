// A fast OpenAI-compatible upstream for the benchmark, in its own process (it must not share an
// event loop with the load generator). Chat completions as JSON with usage, or as a stream of
// `chunks` content chunks, then a usage-only chunk when `stream_options.include_usage` is set,
// then [DONE]. A request may shape its stream with a body field the gateways pass through:
//   "bench_upstream": { "chunks": 8, "chunk_delay_ms": 2, "mark": true }
// `mark` sends ECHO to Redis before answering, so MONITOR shows where the upstream call falls
// among the gateway's store calls.
// Usage: node bench/upstream-server.mjs [redisUrl]   (prints `ready <port>`)
import http from 'node:http';
import { Redis } from 'ioredis';

const marker = process.argv[2] ? new Redis(process.argv[2], { lazyConnect: false, maxRetriesPerRequest: 1 }) : null;
const MODEL = 'gpt-4o-mini-2024-07-18';
const DEFAULT_CHUNKS = 20;

const completion = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 1, model: MODEL,
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench upstream.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});
const frame = (payload) => `data: ${JSON.stringify(payload)}\n\n`;
const contentChunk = (i) => frame({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [{ index: 0, delta: { content: `tok${i} ` }, finish_reason: null }] });
const usageChunk = (n) => frame({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: MODEL, choices: [], usage: { prompt_tokens: 12, completion_tokens: n, total_tokens: 12 + n } });
const CONTENT = Array.from({ length: 1000 }, (_, i) => contentChunk(i));
const DONE = 'data: [DONE]\n\n';

function readJson(req) {
  return new Promise((resolve, reject) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      try {
        resolve(parts.length === 0 ? {} : JSON.parse(Buffer.concat(parts).toString('utf8')));
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

/** Writes the stream: every chunk at once when there is no delay, else one per `delay` ms. */
function stream(res, chunks, delay, withUsage) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const tail = (withUsage ? usageChunk(chunks) : '') + DONE;
  if (delay <= 0) {
    res.end(CONTENT.slice(0, chunks).join('') + tail);
    return;
  }
  let i = 0;
  let timer = null;
  const next = () => {
    if (res.destroyed) return;
    if (i < chunks) {
      res.write(CONTENT[i++]);
      timer = setTimeout(next, delay);
    } else {
      res.end(tail);
    }
  };
  res.once('close', () => clearTimeout(timer));
  next();
}

const server = http.createServer(async (req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"object":"list","data":[{"id":"gpt-4o-mini","object":"model"}]}');
    return;
  }
  let body;
  try {
    body = await readJson(req);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"bad JSON"}}');
    return;
  }
  const opts = body.bench_upstream ?? {};
  if (opts.mark && marker) await marker.echo('tollgate-bench:upstream');
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(completion) });
    res.end(completion);
    return;
  }
  const chunks = Math.min(1000, Number(opts.chunks ?? DEFAULT_CHUNKS));
  stream(res, chunks, Number(opts.chunk_delay_ms ?? 0), body.stream_options?.include_usage === true);
});
server.keepAliveTimeout = 30_000;
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  marker?.disconnect();
  process.exit(0);
});
