// Which headers cross the gateway, each way.
import { describe, expect, it } from 'vitest';
import { openaiProvider } from '../../src/providers/openai/provider.js';
import { clientHeaders, upstreamHeaders } from '../../src/upstream/headers.js';

const identity = { apiKey: 'sk-upstream', organization: null, project: null };
const auth = (c: typeof identity | { apiKey: string; organization: string; project: string }) => openaiProvider.authHeaders(c);

describe('headers to the client', () => {
  it('keeps the provider\'s own headers and drops its rate limits, cookies and hop-by-hop headers', () => {
    const out = clientHeaders({
      'content-type': 'application/json', 'openai-processing-ms': '5', 'x-request-id': 'req_1',
      'x-ratelimit-remaining-tokens': '999999', ratelimit: '"default";r=5;t=1', 'ratelimit-policy': '"default";q=10;w=60',
      'set-cookie': ['a=b'], connection: 'keep-alive, x-hop', 'x-hop': '1', 'transfer-encoding': 'chunked', 'content-length': '12',
    }, true);
    expect(out).toEqual({ 'content-type': 'application/json', 'openai-processing-ms': '5', 'x-request-id': 'req_1', 'content-length': '12' });
  });

  it('drops Content-Length when the body may change on the way', () => {
    expect(clientHeaders({ 'content-type': 'text/event-stream', 'content-length': '12' }, false)).toEqual({ 'content-type': 'text/event-stream' });
  });
});

describe('headers to the upstream', () => {
  it('sends the client\'s own headers with the gateway\'s key, never the client\'s credentials or addressing', () => {
    const out = upstreamHeaders({
      authorization: 'Bearer tg-user', 'x-api-key': 'k', cookie: 'c=1', host: 'evil', 'x-forwarded-host': 'evil', forwarded: 'for=1',
      'openai-organization': 'org-x', 'openai-project': 'proj-x', 'user-agent': 'OpenAI/JS 6', 'x-stainless-lang': 'js',
      'x-conversation-id': 'c1', 'x-tollgate-anything': '1', connection: 'close', 'accept-encoding': 'gzip',
    }, auth(identity), 'tg_1');
    expect(out).toEqual({ 'user-agent': 'OpenAI/JS 6', 'x-stainless-lang': 'js', 'accept-encoding': 'identity', 'x-request-id': 'tg_1', authorization: 'Bearer sk-upstream' });
  });

  it('sends the configured organization and project', () => {
    const out = upstreamHeaders({ 'openai-organization': 'org-x' }, auth({ ...identity, organization: 'org-ops', project: 'proj_ops' }), 'tg_2');
    expect(out).toMatchObject({ 'openai-organization': 'org-ops', 'openai-project': 'proj_ops' });
  });
});
