// Log lines never carry a key, an authorization header or an upstream credential, at the top of a
// logged object or one level down; the object logged is left as it was. The lines of a turn reach
// stdout's writer as one string, in order, and none is left behind by a flush.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, TurnLines } from '../../src/log/logger.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk)) as Record<string, unknown>); done(); } });
  return { logger: createLogger('info', sink), lines };
}

describe('logger redaction', () => {
  it('censors secrets at the top and one level down, and leaves the logged object unchanged', () => {
    const { logger, lines } = capture();
    const obj = {
      key: 'tg-secret-1', authorization: 'Bearer tg-secret-2', apiKey: 'a', api_key: 'b', admin_key: 'c',
      headers: { authorization: 'Bearer tg-secret-3', accept: 'json' },
      user: { id: 'u1', key: 'tg-secret-4' },
      upstream: { api_key: 'sk-secret-5', base_url: 'http://x' },
      req: { headers: { authorization: 'Bearer tg-secret-6', 'x-request-id': 'r1' } },
      client: { apiKey: 'tg-secret-7', authorization: 'Bearer tg-secret-8' },
      plain: { tokens: 3 }, list: ['key'],
    };
    const before = JSON.stringify(obj);
    logger.info(obj, 'line');
    expect(JSON.stringify(obj)).toBe(before);
    const text = JSON.stringify(lines[0]);
    expect(text).not.toMatch(/secret/);
    expect(lines[0]).toMatchObject({
      key: '[redacted]', authorization: '[redacted]', apiKey: '[redacted]', api_key: '[redacted]', admin_key: '[redacted]',
      headers: { authorization: '[redacted]', accept: 'json' }, user: { id: 'u1', key: '[redacted]' },
      upstream: { api_key: '[redacted]', base_url: 'http://x' }, req: { headers: { authorization: '[redacted]', 'x-request-id': 'r1' } },
      client: { apiKey: '[redacted]', authorization: '[redacted]' }, plain: { tokens: 3 }, list: ['key'], msg: 'line',
    });
  });
});

describe('lines to stdout', () => {
  const sink = () => {
    const writes: string[] = [];
    const calls: string[] = [];
    return { writes, calls, out: {
      write: (text: string) => writes.push(text) > 0,
      flush: (cb: () => void) => { calls.push('flush'); cb(); },
      flushSync: () => { calls.push('flushSync'); },
    } };
  };

  it('hands the lines of one turn over as one string, in order, at the end of the turn', async () => {
    const s = sink();
    const lines = new TurnLines(s.out);
    lines.write('a\n');
    lines.write('b\n');
    lines.write('c\n');
    expect(s.writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(s.writes).toEqual(['a\nb\nc\n']);
    lines.write('d\n');
    await new Promise((r) => setImmediate(r));
    expect(s.writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('a flush, or the synchronous one at exit, hands over what the turn has so far first', async () => {
    const s = sink();
    const lines = new TurnLines(s.out);
    lines.write('a\n');
    await new Promise<void>((r) => lines.flush(() => r()));
    lines.write('b\n');
    lines.flushSync();
    expect(s.writes).toEqual(['a\n', 'b\n']);
    expect(s.calls).toEqual(['flush', 'flushSync']);
    await new Promise((r) => setImmediate(r)); // the turn's own pass finds nothing left
    expect(s.writes).toEqual(['a\n', 'b\n']);
  });
});
