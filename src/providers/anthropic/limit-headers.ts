// anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}: the user's own figures (the
// tightest window of each), the reset as an RFC 3339 time, as Anthropic sends its own.
import { remainingOf, tightest } from '../../http/limit-headers.js';
import type { LimitState } from '../../store/types.js';

const NAMES: Readonly<Record<string, string>> = { requests: 'requests', tokens: 'tokens' };

const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function anthropicLimitHeaders(states: readonly LimitState[], now: number, h: Record<string, string>): void {
  for (const s of tightest(states)) {
    const name = NAMES[s.dimension];
    if (name === undefined) continue;
    h[`anthropic-ratelimit-${name}-limit`] = String(s.limit);
    h[`anthropic-ratelimit-${name}-remaining`] = String(remainingOf(s));
    h[`anthropic-ratelimit-${name}-reset`] = rfc3339(s.resetsAt ?? now);
  }
}
