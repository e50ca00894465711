import { describe, expect, it } from 'vitest';
import { redactHeaders, redactSecret } from '../../src/upstream/redact.js';

describe('redacting the upstream key from an upstream error', () => {
  it('takes every copy out of a body and of header values, and leaves the rest as it is', () => {
    expect(redactSecret('key sk-abc, again sk-abc.', 'sk-abc')).toBe('key [redacted], again [redacted].');
    expect(redactSecret('nothing here', 'sk-abc')).toBe('nothing here');
    expect(redactSecret('sk-abc', null)).toBe('sk-abc');
    expect(redactHeaders({ 'x-echo': 'Bearer sk-abc', 'content-type': 'application/json' }, 'sk-abc'))
      .toEqual({ 'x-echo': 'Bearer [redacted]', 'content-type': 'application/json' });
  });
});
