// A real Anthropic-shaped upstream on 127.0.0.1:0 for tests: it replays the captures in
// test/fixtures/anthropic (SOURCES.md says where each came from), writing streams in random-size
// pieces. The body's `model` can pick: `fixture:<file>`, `fail:<status>` (Anthropic's error shape:
// the captured 529 body for 5xx), `reset-stream:<file>` (cut mid-stream). It records every request
// and counts TCP connections, so a test can prove a refused request never reached it.
import { readFileSync } from 'node:fs';
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createSplitter } from './split.js';

export interface AnthropicRequest { method: string; url: string; headers: IncomingHttpHeaders; body: Record<string, unknown> }
export interface AnthropicUpstream {
  url: string;
  state: { connections: number; requests: AnthropicRequest[] };
  close(): Promise<void>;
}

export const anthropicCapture = (name: string): Buffer => readFileSync(new URL(`../fixtures/anthropic/${name.replace(/[^A-Za-z0-9._-]/g, '')}`, import.meta.url));

const MODELS = JSON.stringify({ data: [{ type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
  { type: 'model', id: 'claude-3-5-haiku-20241022', display_name: 'Claude Haiku 3.5', created_at: '2024-10-22T00:00:00Z' }], has_more: false,
first_id: 'claude-sonnet-4-5-20250929', last_id: 'claude-3-5-haiku-20241022' });

export async function createAnthropicUpstream(o: { seed?: number } = {}): Promise<AnthropicUpstream> {
  const state: AnthropicUpstream['state'] = { connections: 0, requests: [] };
  const sockets = new Set<Socket>();
  const split = createSplitter(o.seed ?? 7);
  const headers = { 'request-id': 'req_test', 'anthropic-ratelimit-requests-limit': '4000', 'anthropic-ratelimit-tokens-remaining': '999999' };

  const json = (res: ServerResponse, status: number, body: Buffer | string) => {
    res.writeHead(status, { ...headers, 'content-type': 'application/json' });
    res.end(body);
  };
  async function stream(res: ServerResponse, data: Buffer, cut: boolean): Promise<void> {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    for (const piece of split(cut ? data.subarray(0, Math.floor(data.length / 2)) : data)) {
      if (res.destroyed) return;
      res.write(piece);
      await new Promise((r) => setImmediate(r));
    }
    if (cut) res.socket?.destroy();
    else res.end();
  }

  async function handle(req: http.IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    const url = req.url ?? '';
    state.requests.push({ method: req.method ?? '', url, headers: req.headers, body });
    const model = typeof body.model === 'string' ? body.model : '';
    if (req.method === 'GET' && url.startsWith('/v1/models')) return json(res, 200, MODELS);
    if (url.startsWith('/v1/messages/count_tokens')) return json(res, 200, anthropicCapture('anthropic-count-tokens.json'));
    if (!url.startsWith('/v1/messages')) return json(res, 404, '{"type":"error","error":{"type":"not_found_error","message":"not found"}}');
    if (model.startsWith('fail:')) {
      const status = Number(model.slice(5)) || 529;
      return json(res, status, status >= 500 ? anthropicCapture('anthropic-error-529-overloaded.json') : anthropicCapture('anthropic-error-400-invalid-request.json'));
    }
    if (model.startsWith('fixture:') || model.startsWith('reset-stream:')) {
      const file = model.slice(model.indexOf(':') + 1);
      const data = anthropicCapture(file);
      return file.endsWith('.json') ? json(res, 200, data) : stream(res, data, model.startsWith('reset-stream:'));
    }
    if (body.stream === true) return stream(res, anthropicCapture('anthropic-messages-stream.sse'), false);
    return json(res, 200, anthropicCapture('anthropic-messages.json'));
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s: Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    state,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
