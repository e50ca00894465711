// Loads the Lua scripts once and registers them with ioredis `defineCommand`: ioredis computes
// each script's SHA, runs it with EVALSHA and falls back to EVAL after a NOSCRIPT. The batch
// script, sent under load about once per ten requests with a few hundred arguments, is a Redis
// Function where Redis allows it, called with a command of our own (see batchSender).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Decoder } from '@msgpack/msgpack';
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

/** The commands that run a script (as Redis's command stats and MONITOR name them): what counts as a script call. */
export const SCRIPT_CALLS: ReadonlySet<string> = new Set(['fcall', 'evalsha', 'eval']);

export interface ScriptOptions {
  /** Told once when Redis does not allow Functions and the batch script runs with EVALSHA instead. */
  warn?: (message: string) => void;
}

/**
 * Every script begins by making what one call keeps for itself (common.lua, begin_call); the batch
 * script's batch() does it itself, as a Function's call does not run the top level.
 */
const evalScript = (...parts: string[]): string => `${parts.join('\n')}\nbegin_call()\n`;

/** What every script begins with: the tables it reads (prepended here) and common.lua. */
const commonLua = (): string => `${retention}${kept}${grantable}${read('common')}`;

export function defineScripts(client: Redis | Cluster, options: ScriptOptions = {}): ScriptedRedis {
  const common = commonLua();
  // Reserve and settle may record events: each request of a batch also names the outbox stream of its user's slot.
  const batch = batchSender(client, batchScript(common), options);
  Object.assign(client, { tgBatchArgs: batch });
  for (const [name, file] of [['tgPeek', 'peek'], ['tgReset', 'reset'], ['tgGrant', 'grant']] as const) {
    client.defineCommand(name, { numberOfKeys: 1, lua: `${evalScript(common)}${read(file)}` });
  }
  client.defineCommand('tgIndex', { numberOfKeys: 1, lua: `${evalScript(common, indexDims)}${read('index')}` });
  return client as ScriptedRedis;
}

/**
 * The batch script (lua/batch.lua and all it calls), in its two forms: `lua` an EVAL script, and
 * `library` a Redis Function library whose function `name` is the same batch(). Named by the
 * script's SHA, so two Tollgate versions never load over each other's. `common`: commonLua(), when
 * the caller has it already.
 */
export function batchScript(common = commonLua()): { lua: string; library: string; name: string; sha: string } {
  const body = [common, actualOf, read('events'), read('reserve'), read('settle'), read('batch')].join('\n');
  const lua = `${body}\nreturn batch(KEYS, ARGV)\n`;
  const sha = createHash('sha1').update(lua).digest('hex');
  const tag = sha.slice(0, 20);
  const name = `tg_batch_${tag}`;
  const library = `#!lua name=tollgate_${tag}\n${body}\nredis.register_function('${name}', batch)\n`;
  return { lua, library, name, sha };
}

/**
 * The batch script's command: its arguments taken as they are (ioredis's own copies them with
 * Array.prototype.flat: about 15 µs for 200), its reply kept as the bytes Redis sent (batchReplies).
 */
class RawCommand extends Command {
  constructor(name: string, args: string[]) {
    super(name, [], { replyEncoding: null });
    this.args = args;
  }
}

const msgpack = new Decoder();

/** A value as a RESP reply gives it: Redis truncates a Lua number to an integer, and sends true as 1 and false as nil. */
const asResp = (v: unknown): unknown =>
  typeof v === 'number' ? (Number.isInteger(v) ? v : Math.trunc(v)) : v === true ? 1 : v === false ? null : v;

/**
 * The batch script's replies (lua/batch.lua: one MessagePack value), the same values a RESP array
 * of them would have given, to the two levels the scripts answer (a reply, and its values). One
 * pass over a few kilobytes: ioredis's decoder took about 7 µs a request for a reserve's thirty
 * values and a settle's one, this about 0.4.
 */
export function batchReplies(reply: unknown): BatchReply[] {
  if (!(reply instanceof Uint8Array)) throw new Error('batch script answered something other than a MessagePack value');
  const list = msgpack.decode(reply);
  if (!Array.isArray(list)) throw new Error('batch script answered something other than a list of replies');
  for (let i = 0; i < list.length; i++) {
    const r: unknown = list[i];
    if (Array.isArray(r)) for (let j = 0; j < r.length; j++) r[j] = asResp(r[j]);
    else list[i] = asResp(r);
  }
  return list as BatchReply[];
}

/** An EVALSHA, sent as EVAL on a connection that has not run the script yet, as ioredis's `defineCommand` does. */
class ScriptCommand extends RawCommand {
  constructor(args: string[], private readonly script: { readonly lua: string; readonly loaded: WeakSet<object> }) {
    super('evalsha', args);
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
 * Redis has no Functions (before 7.0), or this user may not load or call them (an ACL: "NOPERM ...
 * the 'fcall' command"; not a key the user may not touch, which EVALSHA would be refused too).
 */
const functionsRefused = (e: unknown): e is Error => e instanceof Error && /unknown command|unknown subcommand|NOPERM.*'(fcall|function)/i.test(e.message);
/** The library is not loaded on the node that answered (a new or restarted Redis, a flush, a new master). */
const functionMissing = (e: unknown): boolean => e instanceof Error && e.message.includes('Function not found');

/**
 * Runs the batch script with the arguments taken as they are: `args[0]` is the script's slot (its
 * SHA or function name is put there), then the number of keys, the keys, and the rest.
 *
 * As a Redis Function (FCALL): the library's top level runs once, at FUNCTION LOAD, so a call does
 * not make the script's hundred-odd functions again, nor decode the plans it decoded before
 * (common.lua, decoded). The library is loaded when a call finds it missing, on every master of a
 * Cluster, and that call sent again; Redis keeps it with the data (replicated, and in RDB and AOF).
 * Where Redis refuses Functions (before 7.0; an ACL without FUNCTION or FCALL) it says so once
 * (`warn`) and every call is the same script run with EVALSHA: EVAL on a connection's first call
 * and after a NOSCRIPT (a flushed script cache, a replica promoted), as ioredis's `defineCommand` does.
 */
function batchSender(client: Redis | Cluster, script: ReturnType<typeof batchScript>, options: ScriptOptions): (args: string[]) => Promise<BatchReply[]> {
  const evalState = { lua: script.lua, loaded: new WeakSet<object>() };
  const prefix = keyPrefixOf(client);
  // Until Redis refuses them.
  let functions = true;
  let loading: Promise<unknown> | null = null;
  const send = (command: Command): Promise<BatchReply[]> => {
    void client.sendCommand(command);
    return command.promise.then(batchReplies);
  };
  const evalsha = (args: string[]): Promise<BatchReply[]> => {
    args[0] = script.sha;
    return send(new ScriptCommand(args, evalState)).catch((e: unknown) => {
      if (!(e instanceof Error) || !e.message.includes('NOSCRIPT')) throw e;
      // Which connection forgot it is not known here: each loads it again with its next call (one
      // EVAL each, this one's first). Only an EVALSHA answers NOSCRIPT: args[0] is still the SHA.
      evalState.loaded = new WeakSet<object>();
      return send(new ScriptCommand(args, evalState));
    });
  };
  const refused = (e: Error, args: string[]): Promise<BatchReply[]> => {
    if (functions) options.warn?.(`store: Redis Functions not usable (${e.message}); the batch script runs with EVALSHA`);
    functions = false;
    return evalsha(args);
  };
  const fcall = (args: string[]): Promise<BatchReply[]> => {
    args[0] = script.name;
    return send(new RawCommand('fcall', args));
  };
  const afterMissing = async (args: string[]): Promise<BatchReply[]> => {
    // One load for the calls that found it missing together.
    loading ??= loadLibrary(client, script.library).finally(() => { loading = null; });
    try {
      await loading;
    } catch (e) {
      if (functionsRefused(e)) return refused(e, args);
      throw e;
    }
    return fcall(args);
  };
  return (args) => {
    // The client's keyPrefix, which ioredis adds to the keys of the commands it makes.
    if (prefix !== '') for (let i = 2, end = 2 + Number(args[1]); i < end; i++) args[i] = `${prefix}${args[i] as string}`;
    if (!functions) return evalsha(args);
    return fcall(args).catch((e: unknown) => {
      if (functionsRefused(e)) return refused(e, args);
      if (functionMissing(e)) return afterMissing(args);
      throw e;
    });
  };
}

/** FUNCTION LOAD on the Redis, or on every master of a Cluster (each keeps its own functions). */
async function loadLibrary(client: Redis | Cluster, library: string): Promise<void> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  await Promise.all(nodes.map((node) => node.call('FUNCTION', 'LOAD', 'REPLACE', library)));
}

/** The keyPrefix a client was made with ('' for none): ioredis adds it to every key of the commands it makes. */
export function keyPrefixOf(client: Redis | Cluster): string {
  return (client.isCluster ? ((client as Cluster).options.keyPrefix ?? (client as Cluster).options.redisOptions?.keyPrefix) : (client as Redis).options.keyPrefix) ?? '';
}
