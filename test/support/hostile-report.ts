// The hostile suite's figures, collected for `npm run verify:hostile`: one row per case (or per
// batch of fuzzed cases), summed into one table by scripts/verify-hostile.mjs.
import { recordFigures } from './figures.js';

export interface HostileFigures {
  name: string;
  /** Cases this row stands for (a fuzzed property runs many); 1 when left out. */
  cases?: number;
  /** 1 when the gateway was no longer up afterwards. */
  crashes: number;
  /** Requests that reached the upstream although the input was refused. */
  upstreamCalls: number;
  /** Usage charged (or still reserved) for refused input. */
  charges: number;
  /** Things left behind or let out: requests, listeners or slots still held; a secret found where it must not be. */
  leaks: number;
}

export function reportHostile(f: HostileFigures): void {
  recordFigures('HOSTILE_REPORT', { cases: 1, ...f });
}
