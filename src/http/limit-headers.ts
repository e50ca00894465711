// Limit headers in OpenAI's names and formats (the tightest window of each dimension), the same
// triple for messages, credits and spend, and the IETF RateLimit-Policy / RateLimit pair.
import { DIMENSION_INFO, DIMENSIONS, WINDOW_INFO, WINDOWS } from '../limits/vocabulary.js';
import type { LimitState } from '../store/types.js';

/** What a limit writes the same in every response: its value as text and its RateLimit-Policy entry. */
interface PolicyWire { readonly limit: string; readonly policy: string }

const MAX_LIMITS = 1000;

/** A window of a dimension in the IETF pair: its id, and each limit's PolicyWire (made once per limit, at most MAX_LIMITS). */
class WindowWire {
  private readonly byLimit = new Map<number, PolicyWire>();

  constructor(readonly id: string, private readonly w: string) {}

  of(limit: number): PolicyWire {
    let wire = this.byLimit.get(limit);
    if (!wire) {
      if (this.byLimit.size >= MAX_LIMITS) this.byLimit.clear();
      wire = { limit: String(limit), policy: `${this.id};q=${limit}${this.w}` };
      this.byLimit.set(limit, wire);
    }
    return wire;
  }
}

/** Header names of each dimension that has them (the registry's `header`), and its windows' wires, made once. */
const HEADERS = new Map(DIMENSIONS.flatMap((dimension) => {
  const name: string | null = DIMENSION_INFO[dimension].header;
  if (name === null) return [];
  const windows = new Map<string, WindowWire>(WINDOWS.map((w) => [w, new WindowWire(`"${name}-${w}"`, WINDOW_INFO[w].seconds ? `;w=${WINDOW_INFO[w].seconds}` : '')]));
  windows.set('instant', new WindowWire(`"${name}-instant"`, ''));
  return [[dimension as string, {
    name, limit: `x-ratelimit-limit-${name}`, remaining: `x-ratelimit-remaining-${name}`, reset: `x-ratelimit-reset-${name}`, windows,
  }] as const];
}));

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

/** The state of each dimension with the least left, the user's or the key's own (ties: the one that resets last). */
export function tightest(states: readonly LimitState[]): LimitState[] {
  const out: LimitState[] = [];
  for (const s of states) {
    if ((s.scope !== 'user' && s.scope !== 'key') || s.limit < 0 || !HEADERS.has(s.dimension)) continue;
    const i = out.findIndex((o) => o.dimension === s.dimension);
    const cur = out[i];
    if (!cur) {
      out.push(s);
      continue;
    }
    const left = remainingOf(s);
    const curLeft = remainingOf(cur);
    if (left < curLeft || (left === curLeft && (s.resetsAt ?? 0) > (cur.resetsAt ?? 0))) out[i] = s;
  }
  return out;
}

/** The headers for these states, added to `h` (a new object unless one is given). */
export function limitHeaders(states: readonly LimitState[], now: number, h: Record<string, string> = {}): Record<string, string> {
  let policies = '';
  let current = '';
  for (const s of tightest(states)) {
    const names = HEADERS.get(s.dimension) as NonNullable<ReturnType<typeof HEADERS.get>>;
    const resetMs = s.resetsAt === null ? 0 : s.resetsAt - now;
    const left = String(remainingOf(s));
    const window = names.windows.get(s.window) as WindowWire;
    const wire = window.of(s.limit);
    h[names.limit] = wire.limit;
    h[names.remaining] = left;
    h[names.reset] = formatDuration(resetMs);
    const sep = policies === '' ? '' : ', ';
    policies += `${sep}${wire.policy}`;
    current += `${sep}${window.id};r=${left};t=${Math.max(0, Math.ceil(resetMs / 1000))}`;
  }
  const tree = states.find((s) => s.scope === 'conversation' && s.limit >= 0);
  if (tree) h['x-conversation-spend-remaining-micros'] = String(remainingOf(tree));
  if (policies !== '') {
    h['ratelimit-policy'] = policies;
    h.ratelimit = current;
  }
  return h;
}
