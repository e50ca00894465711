import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** A client of the suite's real Redis (see global-redis.ts); a keyPrefix isolates a suite's global keys (settings). */
export function testRedis(keyPrefix?: string): Redis {
  return new Redis(inject('redisUrl'), { maxRetriesPerRequest: 2, ...(keyPrefix ? { keyPrefix } : {}) });
}

/** A user id no other test or earlier run uses, so tests never need to flush the server. */
export function uniqueId(label: string): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
