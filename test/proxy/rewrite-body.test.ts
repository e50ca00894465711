import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/endpoints/endpoints.js';
import { rewriteBody } from '../../src/proxy/rewrite-body.js';

const rewrite = (text: string, r: { api?: 'chat' | 'responses'; ceiling?: number | null; forceUsage?: boolean }) =>
  rewriteBody(Buffer.from(text), JSON.parse(text) as Record<string, unknown>, { ceilingFields: ENDPOINTS[r.api ?? 'chat'].ceilingFields, ceiling: r.ceiling ?? null, forceUsage: r.forceUsage ?? false }).toString();

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

  // Regression: replacing a field re-serialised the whole body, so the client's other fields did
  // not go upstream as sent (integers past 2^53 lost precision, 1e400 became null, 2.50 became 2.5).
  it('replaces a field the client sent without touching the bytes of any other field', () => {
    const others = '"seed":12345678901234567890,"x":1e400,"y":2.50,"z":-0,"s":"\\u00e9","o":{"a" : [1, 2]}';
    const out = rewrite(`{"model":"m","max_tokens":5000,${others},"stream_options":{"foo":1},"messages":[]}`, { ceiling: 200, forceUsage: true });
    expect(out).toContain(others);
    expect(out).toContain('"messages":[]');
    expect(JSON.parse(out)).toMatchObject({ max_tokens: 200, stream_options: { foo: 1, include_usage: true } });
  });

  it('replaces every copy of a duplicated field, and both ceilings when both were sent', () => {
    const out = rewrite('{"max_tokens":1,"model":"m","max_tokens":5000,"max_completion_tokens":4000,"messages":[]}', { ceiling: 200 });
    expect(out.match(/max_tokens/g)).toHaveLength(1);
    expect(JSON.parse(out)).toEqual({ max_tokens: 200, max_completion_tokens: 200, model: 'm', messages: [] });
  });

  it('finds a field whose key is written with escapes, and copes with strings full of brackets and quotes', () => {
    const out = rewrite('{ "max\\u005ftokens" : 5000 , "note" : "}{][\\",\\\\" , "messages" : [ { "content" : "a,b}" } ] }', { ceiling: 7 });
    expect(JSON.parse(out)).toEqual({ max_tokens: 7, note: '}{][",\\', messages: [{ content: 'a,b}' }] });
    expect(out).toContain('"note" : "}{][\\",\\\\"');
  });
});
