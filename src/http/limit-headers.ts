// Limit headers in OpenAI's names and formats (the tightest window of each dimension), the same
// triple for messages, credits and spend, and the IETF RateLimit-Policy / RateLimit pair.
import type { LimitState } from '../store/types.js';

const NAMES: Readonly<Record<string, string>> = {
  requests: 'requests', tokens: 'tokens', messages: 'messages', credits: 'credits', spend_micros: 'spend-micros',
};

/** A duration the way OpenAI writes it: `20ms`, `1s`, `6m0s`, `23h59m59s`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export const remainingOf = (s: LimitState): number => Math.max(0, s.limit - s.used - s.reserved);

/** The state of each dimension with the least left (ties: the one that resets last). */
function tightest(states: readonly LimitState[]): Map<string, LimitState> {
  const out = new Map<string, LimitState>();
  for (const s of states) {
    if (s.scope !== 'user' || s.limit < 0 || !(s.dimension in NAMES)) continue;
    const cur = out.get(s.dimension);
    if (!cur || remainingOf(s) < remainingOf(cur) || (remainingOf(s) === remainingOf(cur) && (s.resetsAt ?? 0) > (cur.resetsAt ?? 0))) {
      out.set(s.dimension, s);
    }
  }
  return out;
}

export function limitHeaders(states: readonly LimitState[], now: number): Record<string, string> {
  const h: Record<string, string> = {};
  const policies: string[] = [];
  const current: string[] = [];
  for (const [dimension, s] of tightest(states)) {
    const name = NAMES[dimension] as string;
    const resetMs = s.resetsAt === null ? 0 : s.resetsAt - now;
    h[`x-ratelimit-limit-${name}`] = String(s.limit);
    h[`x-ratelimit-remaining-${name}`] = String(remainingOf(s));
    h[`x-ratelimit-reset-${name}`] = formatDuration(resetMs);
    const id = `"${name}-${s.window}"`;
    policies.push(`${id};q=${s.limit}${windowSeconds(s.window) ? `;w=${windowSeconds(s.window)}` : ''}`);
    current.push(`${id};r=${remainingOf(s)};t=${Math.max(0, Math.ceil(resetMs / 1000))}`);
  }
  const tree = states.find((s) => s.scope === 'conversation' && s.limit >= 0);
  if (tree) h['x-conversation-spend-remaining-micros'] = String(remainingOf(tree));
  if (policies.length > 0) {
    h['ratelimit-policy'] = policies.join(', ');
    h.ratelimit = current.join(', ');
  }
  return h;
}

function windowSeconds(window: string): number | null {
  switch (window) {
    case 'minute': return 60;
    case 'day': return 86_400;
    case 'month': return 2_592_000;
    default: return null;
  }
}
