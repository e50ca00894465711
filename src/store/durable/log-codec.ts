// How reserve and settle calls are written to the log. They are nearly all of it, and most of each
// is the request's counter checks: written as arrays, and each list of event thresholds (the same
// few lists for every request: the planner keeps one per limit) once per log file, named by a
// number the checks refer to. A record of either form replays the same call.
import type { Threshold } from '../../limits/thresholds.js';
import type { CounterCheck } from '../types.js';

/** A check as logged: dimension, window, limit, fixed, per output token, thresholds' id (-1: none), and the key's id when it is a key's. */
type Packed = [string, string, number | null, number, number, number] | [string, string, number | null, number, number, number, string];

/** The op of a record that defines a thresholds list: args [id, list]. */
export const DEFINE_THRESHOLDS = 'thresholds';

const PACKED_OPS = new Set(['reserve', 'settle']);
/** Lists named per log file before the names start again (a bound on the encoder's memory). */
const MAX_LISTS = 10_000;

export interface Encoded {
  readonly args: unknown[];
  /** Lists to define first (their records precede this one). */
  readonly defines: ReadonlyArray<[number, readonly Threshold[]]>;
}

/** One per log file: what it has named is known only there. */
export function createLogEncoder() {
  let ids = new Map<readonly Threshold[], number>();
  let next = 0;
  return (op: string, args: unknown[]): Encoded => {
    const req = args[0] as { checks?: readonly CounterCheck[] } | undefined;
    if (!PACKED_OPS.has(op) || !req || !Array.isArray(req.checks)) return { args, defines: [] };
    const defines: Array<[number, readonly Threshold[]]> = [];
    const packed = req.checks.map((c): Packed => {
      let t = -1;
      if (c.thresholds) {
        let id = ids.get(c.thresholds);
        if (id === undefined) {
          if (ids.size >= MAX_LISTS) ids = new Map();
          id = next++;
          ids.set(c.thresholds, id);
          defines.push([id, c.thresholds]);
        }
        t = id;
      }
      return c.keyId === undefined ? [c.dimension, c.window, c.limit, c.fixed, c.perOutput, t] : [c.dimension, c.window, c.limit, c.fixed, c.perOutput, t, c.keyId];
    });
    return { args: [{ ...req, checks: undefined, packed }, ...args.slice(1)], defines };
  };
}

/** One per log file, fed its records in order. */
export function createLogDecoder() {
  const lists = new Map<number, readonly Threshold[]>();
  return {
    define(id: number, list: readonly Threshold[]): void {
      lists.set(id, list);
    },
    decode(args: unknown[]): unknown[] {
      const req = args[0] as { packed?: Packed[] } | undefined;
      if (!req || !Array.isArray(req.packed)) return args;
      const checks = req.packed.map(([dimension, window, limit, fixed, perOutput, t, keyId]) => {
        const c: Record<string, unknown> = { dimension, window, limit, fixed, perOutput };
        if (keyId !== undefined) c.keyId = keyId;
        if (t >= 0) {
          const list = lists.get(t);
          if (!list) throw new Error(`log record names thresholds ${t}, defined nowhere before it`);
          c.thresholds = list;
        }
        return c as unknown as CounterCheck;
      });
      const { packed: _packed, ...rest } = req;
      return [{ ...rest, checks }, ...args.slice(1)];
    },
  };
}
