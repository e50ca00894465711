// A user's outbox stream must sit in the user's Cluster slot (scripts touch one slot): the slot
// function is Redis's CRC16, and every outbox key's tag lands where the user's tag does.
import { describe, expect, it } from 'vitest';
import { outboxKey, slotOf } from '../../src/store/redis/outbox-keys.js';

describe('outbox keys', () => {
  it('computes Redis Cluster slots (CRC16/XMODEM mod 16384)', () => {
    expect(slotOf('123456789')).toBe(12739);
    expect(slotOf('foo')).toBe(12182);
  });

  it("puts each user's outbox stream in the user's slot", () => {
    for (const user of ['alice', 'bob', 'u-1', 'ünïcode@example.com', 'x'.repeat(128)]) {
      const tag = /\{(.*)\}/.exec(outboxKey(user))?.[1] as string;
      expect(tag).toMatch(/^o:\d+$/);
      expect(slotOf(tag)).toBe(slotOf(`u:${user}`));
    }
  });

  it('gives a user the same key when asked again, after more users than it keeps', () => {
    const first = outboxKey('alice');
    for (let i = 0; i < 12_000; i++) {
      const user = `user-${i}`;
      expect(slotOf(/\{(.*)\}/.exec(outboxKey(user))?.[1] as string)).toBe(slotOf(`u:${user}`));
    }
    expect(outboxKey('alice')).toBe(first);
  });
});
