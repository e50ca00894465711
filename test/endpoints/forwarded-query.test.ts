// The query a route forwards: only what its endpoint row names, with an allowed value, written
// from the table; everything else dropped, a named parameter with another value refused.
import { describe, expect, it } from 'vitest';
import { ENDPOINTS } from '../../src/endpoints/endpoints.js';
import { forwardedQuery } from '../../src/endpoints/forwarded-query.js';
import { GatewayError } from '../../src/core/errors.js';

const messages = ENDPOINTS.messages.query;
const refusal = (target: string): unknown => {
  try {
    forwardedQuery(messages, target);
  } catch (e) {
    return e instanceof GatewayError ? { status: e.status, param: e.param } : e;
  }
  return 'forwarded';
};

describe('forwardedQuery', () => {
  it('forwards ?beta=true on the Messages route, and nothing on a route that names no parameter', () => {
    expect(forwardedQuery(messages, '/v1/messages?beta=true')).toBe('?beta=true');
    expect(forwardedQuery(messages, '/v1/messages')).toBe('');
    expect(forwardedQuery(ENDPOINTS.chat.query, '/v1/chat/completions?beta=true&api-version=2024-10-21')).toBe('');
  });

  it('drops parameters the row does not name, whatever they hold', () => {
    expect(forwardedQuery(messages, '/v1/messages?beta=true&url=http://169.254.169.254/&path=../../admin')).toBe('?beta=true');
    expect(forwardedQuery(messages, '/v1/messages?x=1&BETA=true&beta%00=true')).toBe('');
    expect(forwardedQuery(messages, '/v1/messages?')).toBe('');
  });

  it('reads percent-encoded names and values, and writes the canonical form', () => {
    expect(forwardedQuery(messages, '/v1/messages?b%65ta=%74rue')).toBe('?beta=true');
    expect(forwardedQuery(messages, '/v1/messages?beta=true&beta=true')).toBe('?beta=true');
  });

  it('refuses a named parameter with any other value (400, naming it)', () => {
    for (const q of ['beta=false', 'beta=TRUE', 'beta=', 'beta', 'beta=true&beta=false', 'beta=true%26x%3D1', 'beta=tr%00ue', 'beta=true%23', 'beta=+true']) {
      expect(refusal(`/v1/messages?${q}`), q).toEqual({ status: 400, param: 'beta' });
    }
  });
});
