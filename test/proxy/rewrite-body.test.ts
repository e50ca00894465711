import { describe, expect, it } from 'vitest';
import { rewriteBody } from '../../src/proxy/rewrite-body.js';

const rewrite = (text: string, r: { api?: 'chat' | 'responses'; ceiling?: number | null; forceUsage?: boolean }) =>
  rewriteBody(Buffer.from(text), JSON.parse(text) as Record<string, unknown>, { api: r.api ?? 'chat', ceiling: r.ceiling ?? null, forceUsage: r.forceUsage ?? false }).toString();

describe('the request rewrite', () => {
  it('leaves the body byte for byte when there is nothing to add', () => {
    const text = '{ "model" : "m",\n "messages": [] , "x": 1.50 }';
    expect(rewrite(text, {})).toBe(text);
  });

  it('adds absent fields in front of the client\'s own bytes', () => {
    const text = '{ "model":"m","stream":true,"messages":[],"weird":1.50 }';
    const out = rewrite(text, { ceiling: 300, forceUsage: true });
    expect(out).toBe('{"stream_options":{"include_usage":true},"max_completion_tokens":300, "model":"m","stream":true,"messages":[],"weird":1.50 }');
    expect(JSON.parse(out)).toMatchObject({ max_completion_tokens: 300, stream_options: { include_usage: true } });
    expect(rewrite('{}', { ceiling: 5 })).toBe('{"max_completion_tokens":5}');
    expect(rewrite(' {"input":"x"}', { api: 'responses', ceiling: 9 })).toBe(' {"max_output_tokens":9,"input":"x"}');
  });

  it('replaces a field the client sent, keeping its other stream options', () => {
    const out = JSON.parse(rewrite('{"model":"m","max_tokens":5000,"stream_options":{"foo":1},"messages":[]}', { ceiling: 200, forceUsage: true })) as Record<string, unknown>;
    expect(out).toMatchObject({ max_tokens: 200, stream_options: { foo: 1, include_usage: true } });
    expect(out.max_completion_tokens).toBeUndefined();
  });
});
