// The ledger record as the Redis store keeps it (one field of JSON values) reads back as it was
// written, and a record an earlier Tollgate wrote (a field per value) still reads as it did.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordFields, recordFromFields } from '../../src/store/redis/ledger-codec.js';
import type { LedgerRecord } from '../../src/store/types.js';

const text = fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('"', '\\', '\u2028', 'k:"x"', '🚀', ' ', ','));
const count = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 53 - 1));
const record: fc.Arbitrary<LedgerRecord> = fc.record({
  requestId: text, time: count, user: text, model: fc.option(text, { nil: null }), conversation: fc.option(text, { nil: null }),
  promptTokens: count, completionTokens: count, cachedTokens: count, reasoningTokens: count, costMicros: count,
  outcome: fc.constantFrom('ok', 'aborted', 'upstream_error', 'released', 'reset', 'grant'), estimated: fc.boolean(), anomaly: fc.option(text, { nil: null }),
  reservationId: text, upstream: text, cacheWriteTokens: fc.integer({ min: 1, max: 1e9 }),
  fromGrants: fc.record({ tokens: fc.nat() }, { requiredKeys: [] }),
  grant: fc.record({ id: text, dimension: fc.constantFrom('tokens', 'spend_micros'), amount: fc.nat(), expiresAt: fc.option(count, { nil: null }) }),
}, { requiredKeys: ['requestId', 'time', 'user', 'model', 'conversation', 'promptTokens', 'completionTokens', 'cachedTokens', 'reasoningTokens',
  'costMicros', 'outcome', 'estimated', 'anomaly'] }) as fc.Arbitrary<LedgerRecord>;

describe('Redis ledger record codec', () => {
  it('reads back every record as written, its optional values only when it has them', () => {
    fc.assert(fc.property(record, (r) => {
      const fields = recordFields(r);
      expect(fields).toHaveLength(2);
      expect(recordFromFields(fields)).toEqual(r);
    }), { numRuns: 1000 });
  });

  it('leaves out the trailing values at their default', () => {
    const r: LedgerRecord = { requestId: 'r1', time: 5, user: 'u', model: 'm', conversation: null, promptTokens: 1, completionTokens: 2,
      cachedTokens: 0, reasoningTokens: 0, costMicros: 3, outcome: 'ok', estimated: false, anomaly: null };
    expect(recordFields(r)).toEqual(['r', '["r1",5,"u","m",null,1,2,0,0,3,"ok"]']);
  });

  it('writes a lone surrogate as U+FFFD, as Redis always kept it', () => {
    const r: LedgerRecord = { requestId: 'r1', time: 5, user: 'u', model: 'gpt\ud800-x', conversation: null, promptTokens: 1, completionTokens: 2,
      cachedTokens: 0, reasoningTokens: 0, costMicros: 3, outcome: 'ok', estimated: false, anomaly: null };
    expect(recordFromFields(recordFields(r)).model).toBe('gpt\ufffd-x');
  });

  it('reads the settle script\'s own fromGrants beside the record', () => {
    const r: LedgerRecord = { requestId: 'r1', time: 5, user: 'u', model: null, conversation: null, promptTokens: 1, completionTokens: 2,
      cachedTokens: 0, reasoningTokens: 0, costMicros: 3, outcome: 'ok', estimated: true, anomaly: null };
    expect(recordFromFields([...recordFields(r), 'fromGrants', '{"tokens":7}'])).toEqual({ ...r, fromGrants: { tokens: 7 } });
  });

  it('reads a record an earlier Tollgate wrote, a field per value', () => {
    const fields = ['requestId', 'r1', 'time', '5', 'user', 'u', 'model', 'm', 'promptTokens', '1', 'completionTokens', '2', 'costMicros', '3',
      'outcome', 'ok', 'estimated', '1', 'upstream', 'b', 'cacheWriteTokens', '4', 'fromGrants', '{"spend_micros":9}'];
    expect(recordFromFields(fields)).toEqual({ requestId: 'r1', time: 5, user: 'u', model: 'm', conversation: null, promptTokens: 1, completionTokens: 2,
      cachedTokens: 0, reasoningTokens: 0, costMicros: 3, outcome: 'ok', estimated: true, anomaly: null, upstream: 'b', cacheWriteTokens: 4,
      fromGrants: { spend_micros: 9 } });
  });
});
