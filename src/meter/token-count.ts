// Counting tokens of text Tollgate saw, for a request the provider reported no usage for (a
// client that disconnected, an upstream that died mid-stream). gpt-tokenizer is a maintained,
// pure-JS port of OpenAI's BPE encodings (o200k_base here): no native build, no download at run
// time. It is loaded on first use, so it costs nothing at start-up or on the metered path.
import type { Usage } from './usage.js';

type Counter = (text: string) => number;
let counter: Promise<Counter> | null = null;

function load(): Promise<Counter> {
  counter ??= import('gpt-tokenizer').then((m) => (text: string) => m.countTokens(text));
  return counter;
}

/** Per message, chat formats add a few tokens of framing (role and separators). */
const PER_MESSAGE = 4;

export interface CountInput {
  readonly promptParts: readonly string[];
  readonly messages: number;
  readonly outputText: string;
}

export async function countUsage(input: CountInput): Promise<Usage> {
  const count = await load();
  let promptTokens = input.messages * PER_MESSAGE;
  for (const part of input.promptParts) promptTokens += count(part);
  const completionTokens = count(input.outputText);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens, cachedTokens: 0,
    reasoningTokens: 0, reasoningIncluded: true, costMicros: null };
}
