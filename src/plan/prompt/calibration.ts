// How far each model's provider counts prompts past our own count, learned from every settle
// that carries the provider's `prompt_tokens`, and kept in the store so every replica widens its
// estimates alike. Two figures per model, each only ever raised: the largest ratio reported ÷
// counted over prompts of RATIO_MIN tokens or more (a tokenizer that splits text finer), and the
// largest surplus reported − counted below that (a chat template's fixed preamble). A replica
// applies what it sees at once, and every `intervalMs` sends what it learned and reads what the
// others did: a few commands per interval, none on the request path.
import type { CalibrationSample, Store } from '../../store/types.js';

export interface Widening { readonly ratio: number; readonly surplus: number; readonly samples: number }

export interface Calibration {
  widening(model: string): Widening;
  observe(model: string, counted: number, reported: number): void;
  /** Sends what this replica learned and reads the others'. */
  sync(): Promise<void>;
  close(): void;
}

export const RATIO_MIN = 256;
const MAX_MODELS = 1000;
const NONE: Widening = Object.freeze({ ratio: 1, surplus: 0, samples: 0 });

export function createCalibration(o: { store: Store; intervalMs: number; onError?: (err: unknown) => void }): Calibration {
  const known = new Map<string, CalibrationSample>();
  const pending = new Map<string, CalibrationSample>();

  const merge = (into: Map<string, CalibrationSample>, s: CalibrationSample) => {
    const cur = into.get(s.model);
    if (!cur && into.size >= MAX_MODELS) return;
    into.set(s.model, cur ? {
      model: s.model, ratioPermille: Math.max(cur.ratioPermille, s.ratioPermille),
      surplus: Math.max(cur.surplus, s.surplus), samples: cur.samples + s.samples,
    } : s);
  };

  async function sync(): Promise<void> {
    const sending = [...pending.values()];
    pending.clear();
    try {
      if (sending.length > 0) await o.store.recordCalibration(sending);
      const all = await o.store.calibration();
      for (const s of all) {
        const mine = known.get(s.model);
        // The store's sample count already holds ours; the maxima are merged.
        known.set(s.model, mine ? { ...s, ratioPermille: Math.max(s.ratioPermille, mine.ratioPermille), surplus: Math.max(s.surplus, mine.surplus) } : s);
      }
    } catch (err) {
      for (const s of sending) merge(pending, s);
      o.onError?.(err);
    }
  }

  const timer = setInterval(() => void sync(), o.intervalMs);
  timer.unref();

  return {
    widening(model) {
      const k = known.get(model);
      return k ? { ratio: Math.max(1, k.ratioPermille / 1000), surplus: Math.max(0, k.surplus), samples: k.samples } : NONE;
    },
    observe(model, counted, reported) {
      if (model.length > 256 || counted <= 0 || reported <= 0) return;
      const big = counted >= RATIO_MIN;
      const s: CalibrationSample = {
        model, samples: 1,
        ratioPermille: big ? Math.ceil((reported * 1000) / counted) : 0,
        surplus: big ? 0 : Math.max(0, reported - counted),
      };
      merge(known, s);
      merge(pending, s);
    },
    sync,
    close: () => clearInterval(timer),
  };
}
