// OpenAI and every OpenAI-compatible provider (Azure, OpenRouter, Groq, xAI, DeepSeek, vLLM,
// llama.cpp): Bearer auth, the organization and project headers, OpenAI's error shape.
import type { Provider } from '../provider.js';

export const openaiProvider: Provider = {
  kind: 'openai',
  name: 'OpenAI',
  defaultBaseUrl: 'https://api.openai.com/v1',
  authHeaders(c) {
    const h: Record<string, string> = {};
    if (c.apiKey) h.authorization = `Bearer ${c.apiKey}`;
    if (c.organization) h['openai-organization'] = c.organization;
    if (c.project) h['openai-project'] = c.project;
    return h;
  },
  errorBody: (e) => e.body(),
};
