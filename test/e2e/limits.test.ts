// Every limit real products ask for, as a client meets it: daily quotas, admin defaults and
// per-user overrides, message credits (tool turns and failures free), spend budgets, conversation
// trees — on both stores, with the openai SDK.
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import { e2eSuite } from '../support/e2e.js';
import { uniqueId } from '../support/redis-client.js';
import { STORES } from '../support/stores.js';

const USER = [{ role: 'user' as const, content: 'hello' }];
const TOOL_TURN = [
  { role: 'user' as const, content: 'weather?' },
  { role: 'assistant' as const, content: null, tool_calls: [{ id: 'call_1', type: 'function' as const, function: { name: 'w', arguments: '{}' } }] },
  { role: 'tool' as const, tool_call_id: 'call_1', content: 'sunny' },
];

describe.each(STORES)('limits (%s store)', (_name, makeStore) => {
  const clock = createManualClock(Date.UTC(2026, 10, 23, 12));
  const gw = e2eSuite(() => ({ store: makeStore(clock), clock, overrides: { limits: { messages_per_day: 3 }, 'auth.cache_ms': 0 } }));

  const sdk = (key: string) => gw.openai(key);
  const chat = (key: string, messages: OpenAI.ChatCompletionMessageParam[], opts: { model?: string; headers?: Record<string, string> } = {}) =>
    sdk(key).chat.completions.create({ model: opts.model ?? 'gpt-4.1-nano', messages, max_tokens: 400 }, { headers: opts.headers ?? {} })
      .then(() => 200, (e: { status?: number }) => e.status ?? 0);
  const errorOf = (key: string, messages: OpenAI.ChatCompletionMessageParam[], headers: Record<string, string> = {}) =>
    sdk(key).chat.completions.create({ model: 'gpt-4.1-nano', messages, max_tokens: 400 }, { headers }).then(
      () => { throw new Error('expected a refusal'); },
      (e: InstanceType<typeof OpenAI.APIError>) => e,
    );

  it('applies the admin default, a per-user override, and null back to the default', async () => {
    const id = uniqueId('dflt');
    const key = await gw.userWithKey(id);
    for (let i = 0; i < 3; i++) expect(await chat(key, USER)).toBe(200);
    const over = await errorOf(key, USER);
    expect(over.status).toBe(429);
    expect(over.error).toMatchObject({ code: 'rate_limit_exceeded', dimension: 'messages', window: 'day', limit: 3, used: 3, resets_at: '2026-11-24T00:00:00Z' });
    expect(over.headers?.get('x-should-retry')).toBe('false');
    expect((await gw.admin('PATCH', `/admin/users/${id}`, { limits: { messages_per_day: 5 } })).status).toBe(200);
    expect(await chat(key, USER)).toBe(200);
    expect((await gw.admin('PATCH', `/admin/users/${id}`, { limits: { messages_per_day: null } })).status).toBe(200);
    expect(await chat(key, USER)).toBe(429);
    expect((await gw.admin('PUT', '/admin/settings', { limits: { messages_per_day: 10 } })).status).toBe(200);
    expect(await chat(key, USER)).toBe(200);
    await gw.admin('PUT', '/admin/settings', { limits: {} });
  });

  it('charges one credit per user message, none for a tool turn or a failure, and answers 402 when they run out', async () => {
    const key = await gw.userWithKey(uniqueId('credits'), { message_credits_per_month: 2, messages_per_day: 100 });
    expect(await chat(key, USER)).toBe(200);
    expect(await chat(key, TOOL_TURN)).toBe(200);
    expect(await chat(key, USER, { model: 'fail:500' })).toBe(500);
    expect(await chat(key, USER)).toBe(200);
    const over = await errorOf(key, USER);
    expect(over.status).toBe(402);
    expect(over).toBeInstanceOf(OpenAI.APIError);
    expect(over.error).toMatchObject({ code: 'insufficient_quota', creditsUsed: 2, creditsLimit: 2, scope: 'account_period', resets_at: '2026-12-01T00:00:00Z' });
    expect(over.headers?.get('x-should-retry')).toBe('false');
    expect(await chat(key, TOOL_TURN)).toBe(200);
  });

  it('resets day and month counters at 00:00 UTC', async () => {
    const key = await gw.userWithKey(uniqueId('roll'), { messages_per_day: 1, message_credits_per_month: 1 });
    clock.set(Date.UTC(2026, 10, 30, 23, 59));
    expect(await chat(key, USER)).toBe(200);
    expect(await chat(key, USER)).toBe(429);
    clock.set(Date.UTC(2026, 11, 1, 0, 0, 1));
    expect(await chat(key, USER)).toBe(200);
    clock.set(Date.UTC(2026, 11, 2, 1));
    expect(await chat(key, USER)).toBe(402);
    clock.set(Date.UTC(2027, 0, 1, 0, 0, 1));
    expect(await chat(key, USER)).toBe(200);
    clock.set(Date.UTC(2026, 10, 23, 12));
  });

  it('hard mode lowers the output ceiling to what the user can afford, says so, and refuses below the minimum', async () => {
    const key = await gw.userWithKey(uniqueId('clamp'), { tokens_per_day: 300, messages_per_day: 100 });
    const { response } = await sdk(key).chat.completions.create({ model: 'gpt-4.1-nano', messages: USER, max_tokens: 5000 }).withResponse();
    const ceiling = Number(response.headers.get('x-tollgate-output-ceiling'));
    expect(ceiling).toBeGreaterThan(16);
    expect(ceiling).toBeLessThan(363);
    expect((gw.upstream.state.requests.at(-1)?.body as { max_tokens: number }).max_tokens).toBe(ceiling);
    // What is left after the first call cannot pay for the minimum output: refused, not clamped to nothing.
    const refused = await errorOf(key, USER);
    expect(refused.status).toBe(429);
    expect(refused.error).toMatchObject({ dimension: 'tokens', window: 'day', limit: 300 });
  });

  it('stops a spend budget with 402 and refuses an unpriced model under it', async () => {
    // gpt-4.1-nano: 16 in at $0.10/M + 363 out at $0.40/M = 146.8 -> 147 micros per call.
    const key = await gw.userWithKey(uniqueId('spend'), { spend_micros_per_month: 300, messages_per_day: 100 });
    expect(await chat(key, USER)).toBe(200);
    expect((await gw.quota(key)).limits.find((l) => l.dimension === 'spend_micros')?.used).toBe(147);
    const unpriced = await sdk(key).chat.completions.create({ model: 'mystery-model', messages: USER }).catch((e: InstanceType<typeof OpenAI.APIError>) => e);
    expect((unpriced as InstanceType<typeof OpenAI.APIError>).status).toBe(400);
    expect((unpriced as InstanceType<typeof OpenAI.APIError>).message).toContain('mystery-model');
  });

  it('stops a conversation tree when a sub-agent spends its root\'s budget, while another tree goes on', async () => {
    const key = await gw.userWithKey(uniqueId('tree'), { messages_per_day: 100 });
    const root = uniqueId('root');
    expect(await chat(key, USER, { headers: { 'x-conversation-id': root, 'x-conversation-spend-limit-micros': '400' } })).toBe(200);
    let parent = root;
    let refusal: InstanceType<typeof OpenAI.APIError> | null = null;
    for (let i = 0; i < 6 && !refusal; i++) {
      const child = `${root}-c${i}`;
      const headers = { 'x-conversation-id': child, 'x-parent-conversation-id': parent };
      const status = await chat(key, USER, { headers });
      if (status === 409) refusal = await errorOf(key, USER, headers);
      else expect(status).toBe(200);
      parent = child;
    }
    expect(refusal?.status).toBe(409);
    expect(refusal?.error).toMatchObject({ code: 'conversation_budget_exceeded', scope: 'chat_lifetime', resets_at: null, limit: 400 });
    expect(refusal?.headers?.get('x-should-retry')).toBe('false');
    expect(await chat(key, USER, { headers: { 'x-conversation-id': uniqueId('other') } })).toBe(200);
    const tree = (await gw.quota(key, { 'x-conversation-id': root })).limits.find((l) => l.scope === 'conversation');
    expect(tree).toMatchObject({ limit: 400, resets_at: null });
    expect(tree?.used).toBeGreaterThan(400 - 147);
  });
});
