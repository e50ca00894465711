// What each real capture reports, from test/fixtures/sse/SOURCES.md.
import type { Api } from '../../src/endpoints/endpoints.js';

export interface Expected {
  api: Api;
  usage: { prompt: number; completion: number; total: number; cached: number; reasoning: number; cost?: number | null; included?: boolean } | null;
  model: string | null;
  error?: boolean;
  done: boolean;
}

export const CAPTURES: Record<string, Expected> = {
  'openai-chat-stream-usage.sse': { api: 'chat', usage: { prompt: 78, completion: 9, total: 87, cached: 0, reasoning: 0 }, model: 'gpt-4o-mini-2024-07-18', done: true },
  'openai-chat-stream-no-usage.sse': { api: 'chat', usage: null, model: 'gpt-3.5-turbo-0125', done: true },
  'openai-chat-stream-tool-calls.sse': { api: 'chat', usage: { prompt: 149, completion: 60, total: 209, cached: 0, reasoning: 0 }, model: 'gpt-4o-2024-08-06', done: true },
  'openai-responses-stream.sse': { api: 'responses', usage: { prompt: 9463, completion: 582, total: 10045, cached: 8320, reasoning: 512 }, model: 'gpt-5-2025-08-07', done: true },
  'azure-chat-stream-content-filter.sse': { api: 'chat', usage: null, model: 'gpt-35-turbo', done: true },
  'azure-chat-stream-usage.sse': { api: 'chat', usage: { prompt: 15, completion: 78, total: 93, cached: 0, reasoning: 64 }, model: 'gpt-5-nano-2025-08-07', done: true },
  'openrouter-chat-stream-usage-cost.sse': { api: 'chat', usage: { prompt: 43, completion: 36, total: 79, cached: 0, reasoning: 13, cost: 669 }, model: 'anthropic/claude-sonnet-4.5', done: true },
  'openrouter-chat-stream-error-midstream.sse': { api: 'chat', usage: { prompt: 43, completion: 10, total: 53, cached: 0, reasoning: 11, cost: 0 }, model: 'minimax/minimax-m2:free', error: true, done: true },
  'vllm-chat-stream-usage.sse': { api: 'chat', usage: { prompt: 46, completion: 14, total: 60, cached: 0, reasoning: 0 }, model: 'meta-llama/Llama-3.3-70B-Instruct', done: true },
  'llamacpp-chat-stream-cumulative-usage-timings.sse': { api: 'chat', usage: { prompt: 12, completion: 10, total: 22, cached: 0, reasoning: 0 }, model: 'DeepSeek-V3.1:Q2_K_XL', done: true },
  'llamacpp-chat-stream-no-done.sse': { api: 'chat', usage: { prompt: 34, completion: 3, total: 37, cached: 0, reasoning: 0 }, model: 'phi-4', done: false },
  'groq-chat-stream-x-groq-usage.sse': { api: 'chat', usage: { prompt: 304, completion: 49, total: 353, cached: 0, reasoning: 23 }, model: 'openai/gpt-oss-120b', done: true },
  'groq-chat-stream-error-event.sse': { api: 'chat', usage: null, model: 'openai/gpt-oss-120b', error: true, done: false },
  'openai-responses-stream-error-quota.sse': { api: 'responses', usage: null, model: 'gpt-5-nano-2025-08-07', error: true, done: true },
  'openai-completions-stream-usage.sse': { api: 'completions', usage: { prompt: 14, completion: 16, total: 30, cached: 0, reasoning: 0 }, model: 'gpt-3.5-turbo-instruct:20230824-v2', done: true },
  'deepseek-chat-stream-cache-hit.sse': { api: 'chat', usage: { prompt: 339, completion: 83, total: 422, cached: 320, reasoning: 39 }, model: 'deepseek-reasoner', done: true },
  'xai-chat-stream-usage-cost-ticks.sse': { api: 'chat', usage: { prompt: 12, completion: 1, total: 303, cached: 11, reasoning: 290, cost: 147, included: false }, model: 'grok-3-mini', done: true },
};
