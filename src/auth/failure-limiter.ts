// Slows down key guessing: an address that presents more than N bad keys in a minute gets 429 for
// the rest of that minute instead of a key lookup. Keys this process has seen valid still go on to
// their lookup (see user-auth.ts), so valid users behind the same address are not affected. In
// memory, per process, bounded. The user API and the admin API count on one limiter.
import { GatewayError } from '../core/errors.js';

export interface FailureLimiter {
  /** Whether this address has used up its failures for the current minute. */
  blocked(address: string): boolean;
  /** Records a bad key from this address. */
  fail(address: string): void;
  /** Seconds until the current minute ends. */
  retryAfter(): number;
}

const MAX_ADDRESSES = 100_000;

export function createFailureLimiter(perMinute: number, now: () => number): FailureLimiter {
  let minute = Math.floor(now() / 60_000);
  let counts = new Map<string, number>();
  const roll = () => {
    const m = Math.floor(now() / 60_000);
    if (m !== minute) {
      minute = m;
      counts = new Map();
    }
  };
  return {
    blocked(address) {
      roll();
      return (counts.get(address) ?? 0) >= perMinute;
    },
    fail(address) {
      roll();
      if (counts.size >= MAX_ADDRESSES && !counts.has(address)) return;
      counts.set(address, (counts.get(address) ?? 0) + 1);
    },
    retryAfter: () => Math.max(1, Math.ceil(((minute + 1) * 60_000 - now()) / 1000)),
  };
}

/** The answer to a request from an address that has used up its bad keys for the minute. */
export function tooManyBadKeys(failures: FailureLimiter): GatewayError {
  return new GatewayError({ status: 429, code: 'rate_limit_exceeded', message: 'too many requests with bad API keys from this address; try again later',
    headers: { 'retry-after': String(failures.retryAfter()) } });
}
