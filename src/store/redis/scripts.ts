// Loads the Lua scripts once and registers them with ioredis `defineCommand`: ioredis computes
// each script's SHA, runs it with EVALSHA and falls back to EVAL after a NOSCRIPT.
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';
import { DIMENSIONS, GRANT_DIMENSIONS, WINDOW_INFO } from '../../limits/vocabulary.js';
import { EVENTS_MAX, LEDGER_MAX } from '../keys.js';
import { ROLLUP_DIMS } from '../rollup.js';

const read = (name: string): string => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** One reply of a batch: reserve's or settle's, or [`!err`, message]. */
export type BatchReply = number | Array<string | number>;

/** Each script takes the user's prefix and its arguments (codec.ts). */
export interface ScriptCommands {
  /**
   * Reserves and settles, several at once (lua/batch.lua): the number of keys, then each
   * request's prefix and outbox stream, then one letter per request (`r`, `s`), then each one's
   * arguments (codec.ts: reserveArgs, settleArgs).
   */
  tgBatch(numKeys: number, ...args: string[]): Promise<BatchReply[]>;
  /** The usage index and the deployment's rollup (lua/index.lua): positional arguments. */
  tgIndex(prefix: string, ...args: Array<string | number>): Promise<number>;
  tgPeek(prefix: string, args: string): Promise<Array<string | number>>;
  tgReset(prefix: string, args: string): Promise<number>;
  tgGrant(prefix: string, args: string): Promise<number>;
}

/** The window table, as the scripts read it: how long a counter is kept past its period. */
const retention = `local RETENTION = { ${Object.entries(WINDOW_INFO).map(([w, i]) => `${w} = ${i.retentionMs}`).join(', ')} }\n`;

/** How many records a user's ledger and an outbox stream keep (trimmed approximately), as the memory store keeps them. */
const kept = `local LEDGER_MAX = ${LEDGER_MAX}\nlocal EVENTS_MAX = ${EVENTS_MAX}\n`;

/** What a settle's head (codec.ts, SettleHead) holds of each dimension from its fifth value on, as a table by dimension. */
const actualOf = `local function actual_of(h)\n  return { ${DIMENSIONS.map((d, i) => `${d} = h[${i + 5}]`).join(', ')} }\nend\n`;

/** The grant dimensions, as the scripts read them. */
const grantable = `local GRANTABLE = { ${GRANT_DIMENSIONS.map((d) => `${d} = true`).join(', ')} }\n`
  + `local GRANT_ORDER = { ${GRANT_DIMENSIONS.map((d) => `'${d}'`).join(', ')} }\n`;

/** The dimensions the usage index takes, in the order index-batcher.ts passes their amounts. */
const indexDims = `local INDEX_DIMS = { ${ROLLUP_DIMS.map((d) => `'${d}'`).join(', ')} }\n`;

export type ScriptedRedis = (Redis | Cluster) & ScriptCommands;

export function defineScripts(client: Redis | Cluster): ScriptedRedis {
  const common = `${retention}${kept}${grantable}${read('common')}`;
  // Reserve and settle may record events: each request of a batch also names the outbox stream of its user's slot.
  client.defineCommand('tgBatch', { lua: [common, actualOf, read('events'), read('reserve'), read('settle'), read('batch')].join('\n') });
  for (const [name, file] of [['tgPeek', 'peek'], ['tgReset', 'reset'], ['tgGrant', 'grant']] as const) {
    client.defineCommand(name, { numberOfKeys: 1, lua: `${common}\n${read(file)}` });
  }
  client.defineCommand('tgIndex', { numberOfKeys: 1, lua: `${common}${indexDims}\n${read('index')}` });
  return client as ScriptedRedis;
}
