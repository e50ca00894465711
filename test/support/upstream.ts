// A real OpenAI-compatible upstream on 127.0.0.1:0 for tests. It replays captured provider
// responses (test/fixtures/sse), writing streams in random-size pieces so that every read the
// gateway makes can split an event, a line or a UTF-8 sequence. It records every request and
// counts TCP connections, so a test can prove that a refused request never reached it.
//
// The body's `model` can pick behaviour: `fixture:<file>`, `fail:<status>`, `hang-headers`,
// `hang-stream:<file>`, `reset-stream:<file>`, `slow:<ms>:<file>`, and `hostile:<kind>` (see HOSTILE).
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { referenceChatTokens, referenceInputTokens, type ImageSizes } from './reference-count.js';
import { createSplitter } from './split.js';

export interface RecordedRequest { method: string; url: string; headers: IncomingHttpHeaders; body: unknown; rawBody: string }
export interface UpstreamState { connections: number; requests: RecordedRequest[]; openSockets: number; closedMidStream: number; /** Requests whose headers arrived (counted before the body is read). */ started: number }
export interface UpstreamOptions {
  seed?: number; chunkDelayMs?: number; splitStreams?: boolean;
  /**
   * Report prompt tokens as a provider would for the request actually sent (reference-count.ts,
   * independent of Tollgate's estimator) instead of the capture's, scaled by `promptScale` (a
   * provider whose tokenizer counts more), and `completionTokens` for a chat completion (at most
   * the request's ceiling). Images' sizes come from `images`.
   */
  countPrompts?: { promptScale?: number; completionTokens?: number; images?: ImageSizes };
  /** The ids GET /v1/models lists (default: three OpenAI models). */
  models?: readonly string[];
}
export interface TestUpstream { url: string; port: number; state: UpstreamState; reset(): void; close(): Promise<void> }

/** The `retry-after` (seconds) the test upstream sends with a `fail:429`. */
export const UPSTREAM_RETRY_AFTER_S = 17;

const cache = new Map<string, Buffer>();
function capture(name: string): Buffer {
  let data = cache.get(name);
  if (!data) {
    data = readFileSync(new URL(`../fixtures/sse/${name.replace(/[^A-Za-z0-9._-]/g, '')}`, import.meta.url));
    cache.set(name, data);
  }
  return data;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// Built here (not captured): the shapes of OpenAI's non-streaming completions and Responses bodies.
const COMPLETION_JSON = JSON.stringify({ id: 'cmpl-test', object: 'text_completion', created: 1, model: 'gpt-3.5-turbo-instruct',
  choices: [{ index: 0, text: ' Hello there!', finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });
const RESPONSE_JSON = JSON.stringify({ id: 'resp_test', object: 'response', created_at: 1, status: 'completed', model: 'gpt-5-2025-08-07',
  output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }] }],
  usage: { input_tokens: 9, input_tokens_details: { cached_tokens: 0 }, output_tokens: 11, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 20 } });
const modelsJson = (ids: readonly string[]) => JSON.stringify({ object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1, owned_by: 'system' })) });
const MODELS_JSON = modelsJson(['gpt-4o-mini', 'gpt-4.1-nano', 'text-embedding-3-small']);

export async function createTestUpstream(options: UpstreamOptions = {}): Promise<TestUpstream> {
  const state: UpstreamState = { connections: 0, requests: [], openSockets: 0, closedMidStream: 0, started: 0 };
  const sockets = new Set<Socket>();
  const split = createSplitter(options.seed ?? 1);
  let n = 0;

  const baseHeaders = () => ({ 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-tokens': '999999', 'x-request-id': `req_upstream_${++n}`, 'openai-processing-ms': '5' });

  function sendJson(res: ServerResponse, status: number, body: string | Buffer, extra: Record<string, string> = {}): void {
    res.writeHead(status, { ...baseHeaders(), 'content-type': 'application/json', ...extra });
    res.end(body);
  }

  async function sendStream(res: ServerResponse, data: Buffer, mode: { delayMs: number; stopAt?: number; then?: 'hang' | 'reset' }): Promise<void> {
    res.writeHead(200, { ...baseHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    let finished = false;
    res.on('close', () => {
      if (!finished) state.closedMidStream++;
    });
    const end = mode.stopAt ?? data.length;
    const pieces = options.splitStreams === false ? [data.subarray(0, end)] : split(data.subarray(0, end));
    for (const piece of pieces) {
      if (res.destroyed) return;
      res.write(piece);
      if (mode.delayMs > 0) await sleep(mode.delayMs);
      else await new Promise((r) => setImmediate(r));
    }
    if (mode.then === 'hang') return;
    if (mode.then === 'reset') {
      res.socket?.destroy();
      return;
    }
    finished = true;
    res.end();
  }

  function replay(res: ServerResponse, file: string, delayMs: number): Promise<void> | void {
    const data = capture(file);
    if (file.endsWith('.json')) return sendJson(res, 200, data);
    return sendStream(res, data, { delayMs });
  }

  async function handle(req: http.IncomingMessage, res: ServerResponse): Promise<void> {
    state.started++;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown = rawBody;
    try {
      body = rawBody === '' ? {} : JSON.parse(rawBody);
    } catch {
      body = rawBody;
    }
    const url = req.url ?? '';
    state.requests.push({ method: req.method ?? '', url, headers: req.headers, body, rawBody });
    const json = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const model = typeof json.model === 'string' ? json.model : '';
    const stream = json.stream === true;
    const delay = options.chunkDelayMs ?? 0;

    if (req.method === 'GET' && url.startsWith('/v1/models')) return sendJson(res, 200, options.models ? modelsJson(options.models) : MODELS_JSON);
    if (model.startsWith('fail:')) {
      const status = Number(model.slice(5)) || 500;
      // A rate-limited provider says when to come back, as OpenAI does.
      const wait: Record<string, string> = status === 429 ? { 'retry-after': String(UPSTREAM_RETRY_AFTER_S) } : {};
      return sendJson(res, status, JSON.stringify({ error: { message: 'upstream failure (test)', type: 'server_error', param: null, code: null } }), wait);
    }
    if (model === 'hang-headers') return;
    if (model.startsWith('hostile:')) return hostile(res, model.slice(8), state, req.headers);
    if (model.startsWith('fixture:')) return replay(res, model.slice(8), delay);
    if (model.startsWith('slow:')) {
      const [, ms, file] = model.split(':');
      return replay(res, file ?? '', Number(ms));
    }
    if (model.startsWith('hang-stream:') || model.startsWith('reset-stream:')) {
      const data = capture(model.slice(model.indexOf(':') + 1));
      return sendStream(res, data, { delayMs: delay, stopAt: Math.floor(data.length / 2), then: model.startsWith('hang') ? 'hang' : 'reset' });
    }
    if (options.countPrompts && (url.startsWith('/v1/chat/completions') || url.startsWith('/v1/embeddings'))) {
      return sendJson(res, 200, countedReply(url, json, options.countPrompts));
    }
    if (url.startsWith('/v1/chat/completions')) {
      if (stream) {
        const usage = (json.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
        return replay(res, usage ? 'openai-chat-stream-usage.sse' : 'openai-chat-stream-no-usage.sse', delay);
      }
      return sendJson(res, 200, cappedChat(json));
    }
    if (url.startsWith('/v1/completions')) return stream ? replay(res, 'openai-completions-stream-usage.sse', delay) : sendJson(res, 200, COMPLETION_JSON);
    if (url.startsWith('/v1/responses')) return stream ? replay(res, 'openai-responses-stream.sse', delay) : sendJson(res, 200, RESPONSE_JSON);
    if (url.startsWith('/v1/embeddings')) return replay(res, 'openai-embeddings.json', delay);
    sendJson(res, 404, JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, JSON.stringify({ error: { message: String(err), type: 'server_error' } }));
      else res.destroy();
    });
  });
  server.on('connection', (s: Socket) => {
    state.connections++;
    state.openSockets++;
    sockets.add(s);
    s.on('close', () => {
      state.openSockets--;
      sockets.delete(s);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    state,
    reset() {
      state.connections = 0;
      state.started = 0;
      state.requests.length = 0;
      state.closedMidStream = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const chunk = (content: string, extra = '') => `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"finish_reason":null}]${extra}}\n\n`;
const usageChunk = (u: string) => `data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-mini","choices":[],"usage":${u}}\n\n`;

/** Upstreams that misbehave, for the hostile-input suite. */
const HOSTILE: Record<string, { type: string; status?: number; body: (req: IncomingHttpHeaders) => string; then?: 'hang' }> = {
  'garbage-sse': { type: 'text/event-stream', body: () => `${chunk('hi')}this is not sse\n\n:::\n\ndata: {not json}\n\n${chunk(' there')}${usageChunk('{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}')}data: [DONE]\n\n` },
  'huge-line': { type: 'text/event-stream', body: () => `${chunk('x'.repeat(5 * 1024 * 1024))}${usageChunk('{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}')}data: [DONE]\n\n` },
  'no-separators': { type: 'text/event-stream', body: () => `${chunk('a').trimEnd()}\n${chunk('b').trimEnd()}\ndata: [DONE]` },
  'bad-json-midstream': { type: 'text/event-stream', body: () => `${chunk('a')}data: {"choices":[{"delta":{"content":"b"\n\n${chunk('c')}${usageChunk('{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7}')}` },
  'negative-usage': { type: 'text/event-stream', body: () => `${chunk('a')}${usageChunk('{"prompt_tokens":-500,"completion_tokens":-9,"total_tokens":-509}')}data: [DONE]\n\n` },
  'absurd-usage': { type: 'text/event-stream', body: () => `${chunk('a')}${usageChunk('{"prompt_tokens":1000000000000000,"completion_tokens":5,"total_tokens":1000000000000005}')}data: [DONE]\n\n` },
  'string-usage': { type: 'text/event-stream', body: () => `${chunk('abc')}${usageChunk('{"prompt_tokens":"lots","completion_tokens":null,"total_tokens":"x"}')}data: [DONE]\n\n` },
  'never-ends': { type: 'text/event-stream', body: () => chunk('still thinking'), then: 'hang' },
  'html-200': { type: 'text/html', body: () => '<html><body>502 Bad Gateway (from a proxy)</body></html>' },
  'json-500': { type: 'application/json', status: 500, body: () => '{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}' },
  'too-large': { type: 'application/json', body: () => `{"data":"${'y'.repeat(3 * 1024 * 1024)}","usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}` },
  'too-large-stream': { type: 'text/event-stream', body: () => `${chunk('z'.repeat(1024)).repeat(3 * 1024)}${usageChunk('{"prompt_tokens":5,"completion_tokens":3072,"total_tokens":3077}')}data: [DONE]\n\n` },
  'mixed-usage': { type: 'text/event-stream', body: () => `${chunk('a b c d e f g h')}${usageChunk('{"prompt_tokens":5,"completion_tokens":-9,"total_tokens":"many"}')}data: [DONE]\n\n` },
  'headers-then-hang': { type: 'text/event-stream', body: () => '', then: 'hang' },
  'json-headers-then-hang': { type: 'application/json', body: () => '', then: 'hang' },
  // A provider (or a proxy in front of it) that quotes the credential it was sent back in its error.
  'echo-key-401': { type: 'application/json', status: 401, body: (req) => JSON.stringify({ error: { message: `Incorrect API key provided: ${String(req.authorization ?? '').slice(7)}`, type: 'invalid_request_error', code: 'invalid_api_key' } }) },
};

async function hostile(res: ServerResponse, kind: string, state: UpstreamState, req: IncomingHttpHeaders): Promise<void> {
  const h = HOSTILE[kind];
  if (!h) {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `unknown hostile kind ${kind}` } }));
    return;
  }
  res.writeHead(h.status ?? 200, { 'content-type': h.type });
  let finished = false;
  res.on('close', () => {
    if (!finished) state.closedMidStream++;
  });
  const body = h.body(req);
  if (body === '') res.flushHeaders();
  else res.write(body);
  if (h.then === 'hang') return;
  finished = true;
  res.end();
}

/** A non-streamed reply whose usage counts the request's own prompt (see UpstreamOptions.countPrompts). */
function countedReply(url: string, req: Record<string, unknown>, o: NonNullable<UpstreamOptions['countPrompts']>): string {
  const model = String(req.model);
  const raw = url.startsWith('/v1/embeddings') ? referenceInputTokens(model, req.input) : referenceChatTokens(req, o.images);
  const prompt = Math.ceil(raw * (o.promptScale ?? 1));
  if (url.startsWith('/v1/embeddings')) {
    return JSON.stringify({ object: 'list', model, data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: prompt, total_tokens: prompt } });
  }
  const cap = (req.max_completion_tokens ?? req.max_tokens) as number | undefined;
  const completion = Math.min(o.completionTokens ?? 100, cap ?? Infinity);
  return JSON.stringify({ id: 'chatcmpl-counted', object: 'chat.completion', created: 1, model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: completion === cap ? 'length' : 'stop' }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } });
}

/** Like a real provider, never more completion tokens than the request allows. */
function cappedChat(req: Record<string, unknown>): Buffer | string {
  const data = capture('openai-chat.json');
  const cap = (req.max_completion_tokens ?? req.max_tokens) as unknown;
  if (typeof cap !== 'number' || !Number.isInteger(cap) || cap < 1) return data;
  const j = JSON.parse(data.toString('utf8')) as { usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number }; choices: Array<{ finish_reason: string }> };
  if (j.usage.completion_tokens <= cap) return data;
  j.usage.completion_tokens = cap;
  j.usage.total_tokens = j.usage.prompt_tokens + cap;
  for (const c of j.choices) c.finish_reason = 'length';
  return JSON.stringify(j);
}
