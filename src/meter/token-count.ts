// Counting tokens of what Tollgate saw, for a request the provider reported no usage for (a
// client that disconnected, an upstream that died mid-stream): the prompt as the reservation
// counted it (plan/prompt: text tokenized, images by their size, base64 never as text), and the
// streamed output with gpt-tokenizer's o200k_base, loaded on first use.
import type { Usage } from './usage.js';

type Counter = (text: string) => number;
let counter: Promise<Counter> | null = null;

function load(): Promise<Counter> {
  counter ??= import('gpt-tokenizer').then((m) => (text: string) => m.countTokens(text));
  return counter;
}

export interface CountInput {
  readonly promptTokens: number;
  readonly outputText: string;
}

export async function countUsage(input: CountInput): Promise<Usage> {
  const count = await load();
  const { promptTokens } = input;
  const completionTokens = count(input.outputText);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0,
    reasoningTokens: 0, reasoningIncluded: true, costMicros: null };
}
