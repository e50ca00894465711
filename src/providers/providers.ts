// Every provider kind an upstream can be (config `upstreams[].kind`).
import { anthropicProvider } from './anthropic/provider.js';
import { openaiProvider } from './openai/provider.js';
import type { Provider, ProviderKind } from './provider.js';

export const PROVIDERS: Readonly<Record<ProviderKind, Provider>> = { openai: openaiProvider, anthropic: anthropicProvider };
