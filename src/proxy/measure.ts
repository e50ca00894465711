// What a relayed request is charged, decided from what was seen of its response and how the relay
// ended — no sockets, no store, no clock: the billing rule, written once.
//
//   - the provider's own usage, when it reported one;
//   - nothing, when nothing came back (no event, no byte) or what came was not a model's answer;
//   - otherwise a count of what was sent and generated (the upstream did the work), flagged
//     estimated: the prompt by the reservation's count and the output text, or — for a body too
//     large to keep — about four bytes a token.
import type { UsageDialect } from '../meter/dialect.js';
import type { StreamReport } from '../meter/sse-meter.js';
import type { Usage } from '../meter/usage.js';
import { roughUsage } from '../settle/amounts.js';
import type { Outcome } from '../store/types.js';
import type { RelayEnd } from './client-writer.js';

/** What the relay saw: a stream's report, or a copy of a JSON body. */
export type Seen =
  | { readonly kind: 'stream'; readonly report: StreamReport }
  | {
    readonly kind: 'body';
    /** False for a 2xx that is neither JSON nor SSE (an HTML page from a proxy): not a model's answer. */
    readonly answer: boolean;
    /** Bytes that came, kept or not. */
    readonly bytes: number;
    /** The body grew past what is kept. */
    readonly overflowed: boolean;
    readonly text: () => string;
  };

export type Charge =
  | { readonly kind: 'nothing'; readonly model: string | null }
  | { readonly kind: 'reported'; readonly usage: Usage; readonly model: string | null }
  /** Count the prompt (the reservation's count) and this output text. */
  | { readonly kind: 'count'; readonly outputText: string; readonly model: string | null }
  | { readonly kind: 'rough'; readonly usage: Usage };

export interface Measured {
  readonly outcome: Outcome;
  readonly charge: Charge;
}

export interface MeasureInput {
  readonly seen: Seen;
  readonly how: RelayEnd;
  /** How the endpoint reports usage in a JSON body. */
  readonly dialect: UsageDialect;
  /** Size of the request body sent (for a rough count). */
  readonly promptBytes: number;
}

export function measure(m: MeasureInput): Measured {
  const answer = m.seen.kind === 'stream' || m.seen.answer;
  const outcome: Outcome = m.how === 'client_abort' ? 'aborted' : m.how === 'upstream_error' || !answer ? 'upstream_error' : 'ok';
  return { outcome, charge: chargeOf(m) };
}

function chargeOf({ seen, how, dialect, promptBytes }: MeasureInput): Charge {
  if (seen.kind === 'stream') {
    const r = seen.report;
    if (r.usage) return { kind: 'reported', usage: r.usage, model: r.model };
    // Once the upstream has streamed anything, it has processed the prompt: charge a count.
    if (r.events === 0 && !r.sawOutput) return { kind: 'nothing', model: r.model };
    return { kind: 'count', outputText: r.outputText, model: r.model };
  }
  if (!seen.answer) return { kind: 'nothing', model: null };
  // Headers and then not one byte before it broke off: like a stream with no event, it costs nothing.
  if (how !== 'done' && seen.bytes === 0) return { kind: 'nothing', model: null };
  if (seen.overflowed) return { kind: 'rough', usage: roughUsage(promptBytes, seen.bytes) };
  const text = seen.text();
  if (how === 'done') {
    const found = dialect.fromJson(text);
    if (found.usage) return { kind: 'reported', usage: found.usage, model: found.model };
  }
  // A body with no usage, or cut short: the upstream did the work, so count it.
  return { kind: 'count', outputText: text, model: null };
}
