// A fast OpenAI-compatible upstream for the benchmark, in its own process: JSON chat completions,
// and streams of CHUNKS chunks (plus a usage chunk when include_usage is asked for), each after
// an optional delay. Usage: node bench/upstream-server.mjs <port> [chunkDelayMs] [chunks]
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const delay = Number(process.argv[3] ?? 0);
const chunks = Number(process.argv[4] ?? 20);

const json = JSON.stringify({
  id: 'chatcmpl-bench', object: 'chat.completion', created: 1, model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench upstream.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
});
const chunk = (i) => `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini-2024-07-18', choices: [{ index: 0, delta: { content: `tok${i} ` }, finish_reason: null }] })}\n\n`;
const usage = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini-2024-07-18', choices: [], usage: { prompt_tokens: 12, completion_tokens: chunks, total_tokens: 12 + chunks } })}\n\n`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const server = http.createServer(async (req, res) => {
  let body = '';
  for await (const c of req) body += c;
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"object":"list","data":[]}');
    return;
  }
  const j = JSON.parse(body || '{}');
  if (!j.stream) {
    res.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining-tokens': '999999' });
    res.end(json);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (let i = 0; i < chunks && !res.destroyed; i++) {
    res.write(chunk(i));
    if (delay > 0) await sleep(delay);
  }
  if (j.stream_options?.include_usage) res.write(usage);
  res.end('data: [DONE]\n\n');
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
