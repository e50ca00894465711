// A client that opens connections without end cannot use up the gateway's file descriptors:
// past server.max_connections a new connection is closed at once, and the gateway serves again
// as soon as connections go.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/store/memory.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';

/** Opens a connection; resolves once it is established. */
const connect = (port: number) => new Promise<net.Socket>((resolve, reject) => {
  const s = net.connect(port, '127.0.0.1', () => resolve(s));
  s.once('error', reject);
});

/** Sends a GET /healthz on the socket: what came back before it closed, or '' when nothing did. */
const healthz = (s: net.Socket) => new Promise<string>((resolve) => {
  let got = '';
  s.on('data', (d: Buffer) => {
    got += d.toString('latin1');
    if (got.includes('\r\n\r\n')) s.destroy();
  });
  s.once('close', () => resolve(got));
  s.once('error', () => undefined);
  s.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
});

describe('connection limit', () => {
  let upstream: TestUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    upstream = await createTestUpstream();
    gw = await startGateway({ upstreamUrl: upstream.url, store: createMemoryStore(), overrides: { 'server.max_connections': 3 } });
  });
  afterAll(async () => {
    await gw.close();
    await upstream.close();
  });

  it('closes connections past server.max_connections, and serves again once some go', async () => {
    const port = Number(new URL(gw.url).port);
    const held = await Promise.all([connect(port), connect(port), connect(port)]);
    const extra = await connect(port);
    expect(await healthz(extra)).toBe('');
    for (const s of held) s.destroy();
    await expect.poll(async () => (await healthz(await connect(port))).startsWith('HTTP/1.1 200'), { timeout: 3000 }).toBe(true);
  });
});
