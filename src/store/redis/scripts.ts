// Loads the Lua scripts once and registers them with ioredis `defineCommand`: ioredis computes
// each script's SHA, runs it with EVALSHA and falls back to EVAL after a NOSCRIPT. The batch
// script, sent under load about once per ten requests with a few hundred arguments, is sent as a
// command of our own that does the same (see batchSender).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, type Cluster, type Redis } from 'ioredis';
import { DIMENSIONS, GRANT_DIMENSIONS, WINDOW_INFO } from '../../limits/vocabulary.js';
import { EVENTS_MAX, LEDGER_MAX } from '../keys.js';
import { ROLLUP_DIMS } from '../rollup.js';

const read = (name: string): string => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');

/** One reply of a batch: reserve's or settle's, or [`!err`, message]. */
export type BatchReply = number | Array<string | number>;

/** Each script takes the user's prefix and its arguments (codec.ts). */
export interface ScriptCommands {
  /**
   * Reserves and settles, several at once (lua/batch.lua), in one array taken as it is: '' (the
   * script's slot), the number of keys, each request's prefix and outbox stream, one letter per
   * request (`r`, `s`), then each one's arguments (codec.ts: reserveArgs, settleArgs).
   */
  tgBatchArgs(args: string[]): Promise<BatchReply[]>;
  /** The usage index and the deployment's rollup (lua/index.lua): positional arguments. */
  tgIndex(prefix: string, ...args: Array<string | number>): Promise<number>;
  tgPeek(prefix: string, args: string): Promise<Array<string | number>>;
  tgReset(prefix: string, args: string): Promise<number>;
  tgGrant(prefix: string, args: string): Promise<number>;
}

/** The window table, as the scripts read it: how long a counter is kept past its period. */
const retention = `local RETENTION = { ${Object.entries(WINDOW_INFO).map(([w, i]) => `${w} = ${i.retentionMs}`).join(', ')} }\n`;

/** How many records a user's ledger and an outbox stream keep (trimmed approximately), as the memory store keeps them. */
// (As strings: a number given to redis.call is formatted with printf's %.17g each time.)
const kept = `local LEDGER_MAX = '${LEDGER_MAX}'\nlocal EVENTS_MAX = '${EVENTS_MAX}'\n`;

/**
 * What a settle's head (codec.ts, SettleHead) holds of each dimension from its fifth value on, as a
 * table of numbers by dimension; ROLLUP_AT, where what the day's rollup takes of the ledger record follows.
 */
const actualOf = `local function actual_of(h)\n  return { ${DIMENSIONS.map((d, i) => `${d} = tonumber(h[${i + 5}]) or 0`).join(', ')} }\nend\n`
  + `local ROLLUP_AT = ${DIMENSIONS.length + 5}\n`;

/** The grant dimensions, as the scripts read them. */
const grantable = `local GRANTABLE = { ${GRANT_DIMENSIONS.map((d) => `${d} = true`).join(', ')} }\n`
  + `local GRANT_ORDER = { ${GRANT_DIMENSIONS.map((d) => `'${d}'`).join(', ')} }\n`;

/** The dimensions the usage index takes, in the order index-batcher.ts passes their amounts. */
const indexDims = `local INDEX_DIMS = { ${ROLLUP_DIMS.map((d) => `'${d}'`).join(', ')} }\n`;

export type ScriptedRedis = (Redis | Cluster) & ScriptCommands;

export function defineScripts(client: Redis | Cluster): ScriptedRedis {
  const common = `${retention}${kept}${grantable}${read('common')}`;
  // Reserve and settle may record events: each request of a batch also names the outbox stream of its user's slot.
  const batch = batchSender(client, [common, actualOf, read('events'), read('reserve'), read('settle'), read('batch')].join('\n'));
  Object.assign(client, { tgBatchArgs: batch });
  for (const [name, file] of [['tgPeek', 'peek'], ['tgReset', 'reset'], ['tgGrant', 'grant']] as const) {
    client.defineCommand(name, { numberOfKeys: 1, lua: `${common}\n${read(file)}` });
  }
  client.defineCommand('tgIndex', { numberOfKeys: 1, lua: `${common}${indexDims}\n${read('index')}` });
  return client as ScriptedRedis;
}

/**
 * A script call whose arguments are taken as they are (ioredis's own copies them with
 * Array.prototype.flat: about 15 µs for 200), its replies read as text as `defineCommand`'s are.
 * A connection that has not run the script yet is sent EVAL at once, as ioredis does.
 */
class ScriptCommand extends Command {
  constructor(args: string[], private readonly script: { readonly lua: string; readonly loaded: WeakSet<object> }) {
    super('evalsha', [], { replyEncoding: 'utf8' });
    this.args = args;
  }

  override toWritable(socket: object): string | Buffer {
    if (!this.script.loaded.has(socket)) {
      this.script.loaded.add(socket);
      this.name = 'eval';
      this.args[0] = this.script.lua;
    }
    return super.toWritable(socket);
  }
}

/**
 * Runs a script with EVALSHA, and with EVAL on a connection's first call and after a NOSCRIPT (a
 * flushed script cache, a replica promoted), as ioredis's `defineCommand` does, with the
 * arguments taken as they are: `args[0]` is the script's slot, then the number of keys, the keys,
 * and the rest.
 */
function batchSender(client: Redis | Cluster, lua: string): (args: string[]) => Promise<BatchReply[]> {
  const sha = createHash('sha1').update(lua).digest('hex');
  const script = { lua, loaded: new WeakSet<object>() };
  const prefix = keyPrefixOf(client);
  const send = (args: string[]): Promise<BatchReply[]> => {
    const command = new ScriptCommand(args, script);
    void client.sendCommand(command);
    return command.promise as Promise<BatchReply[]>;
  };
  return (args) => {
    args[0] = sha;
    // The client's keyPrefix, which ioredis adds to the keys of the commands it makes.
    if (prefix !== '') for (let i = 2, end = 2 + Number(args[1]); i < end; i++) args[i] = `${prefix}${args[i] as string}`;
    return send(args).catch((e: unknown) => {
      if (!(e instanceof Error) || !e.message.includes('NOSCRIPT')) throw e;
      // Which connection forgot it is not known here: each loads it again with its next call (one
      // EVAL each, this one's first). Only an EVALSHA answers NOSCRIPT: args[0] is still the SHA.
      script.loaded = new WeakSet<object>();
      return send(args);
    });
  };
}

/** The keyPrefix a client was made with ('' for none): ioredis adds it to every key of the commands it makes. */
export function keyPrefixOf(client: Redis | Cluster): string {
  return (client.isCluster ? ((client as Cluster).options.keyPrefix ?? (client as Cluster).options.redisOptions?.keyPrefix) : (client as Redis).options.keyPrefix) ?? '';
}
