// The reserves and settles of the bench's deployed user, as script arguments: what
// bench/lua-cost.mjs and bench/lua-lines.mjs send the batch script. Every dimension's day and
// month, requests per minute and day, messages and tokens per day, each limit with the default
// thresholds 0.5, 0.8 and 1. `dist`: the build whose codec makes the arguments. The requests
// themselves (checks, reserveReq, settleReq) are also what bench/store-client.mjs sends the store.

const LIMITED = { 'requests:minute': 1e8, 'requests:day': 1e9, 'messages:day': 1e9, 'tokens:day': 1e12 };
/** The deployed user's checks, in the planner's order. */
export const checks = [];
for (const d of ['requests', 'messages', 'credits', 'tokens', 'spend_micros']) {
  for (const w of ['minute', 'day', 'month']) {
    if (w === 'minute' && d !== 'requests') continue;
    const limit = LIMITED[`${d}:${w}`] ?? null;
    const thresholds = limit ? [0.5, 0.8, 1].map((f) => ({ label: String(f), point: Math.ceil(limit * f) })) : undefined;
    checks.push({ dimension: d, window: w, limit, fixed: d === 'tokens' ? 20 : 1, perOutput: d === 'tokens' ? 1 : 0, ...(thresholds ? { thresholds } : {}) });
  }
}
const actual = { requests: 1, messages: 1, credits: 1, tokens: 31, spend_micros: 12 };
const record = (id, user, time) => ({ requestId: id, time, user, model: 'gpt-4o-mini', conversation: null, promptTokens: 20, completionTokens: 11,
  cachedTokens: 0, reasoningTokens: 0, costMicros: 12, outcome: 'ok', estimated: false, anomaly: null });
/** Request `id` of `user`: its reserve, and its settle (its ledger record's time `time`). */
export const reserveReq = (id, user) => ({ userId: user, requestId: id, checks, maxOutput: 16384, minOutput: 16, mode: 'hard', parallelLimit: 100000,
  ttlMs: 2_100_000, conversation: null, spend: { fixed: 1, perOutput: 0.6, priced: true } });
export const settleReq = (id, user, time) => ({ userId: user, requestId: id, checks, actual, conversationRoot: null, record: record(id, user, time) });

export async function luaRequests(dist) {
  const { reserveArgs, settleArgs } = await import(`${dist}/store/redis/codec.js`);
  const { recordFields } = await import(`${dist}/store/redis/ledger-codec.js`);
  const { userPrefix } = await import(`${dist}/store/keys.js`);
  const { outboxKey } = await import(`${dist}/store/redis/outbox-keys.js`);
  // (A build before 2026-12-02 morning sends every request's plan: no batchArgs.)
  const { batchArgs } = await import(`${dist}/store/redis/group-commit.js`);
  return {
    /**
     * The batch script's arguments for `items` ([{ kind, prefix, outbox, args }], from `batch`), as
     * the build's group commit makes them: ['', the number of keys, the keys, the kinds, the rest].
     */
    argv(items) {
      if (batchArgs) return batchArgs(items);
      return ['', String(2 * items.length), ...items.flatMap((it) => [it.prefix, it.outbox]), items.map((it) => it.kind).join(''), ...items.flatMap((it) => it.args)];
    },
    /**
     * The requests of one call made as under load (`argv` takes them): `half` reserves of new ids
     * `m-<k>` from k = `from`, each followed by the settle of the id the call before reserved
     * (`m-<k - half>`); `userOf(k)`: the user of id k.
     */
    mixed(from, half, userOf) {
      const items = [];
      for (let k = from; k < from + half; k++) {
        items.push(...this.batch('r', [{ id: `m-${k}`, user: userOf(k) }]).items);
        if (k - half >= 0) items.push(...this.batch('s', [{ id: `m-${k - half}`, user: userOf(k - half) }]).items);
      }
      return items;
    },
    /**
     * One script call of `kind` ('r' or 's') for `requests` ([{ id, user }]): its keys (each
     * request's prefix and outbox), kinds (a letter each) and arguments (each request's in turn),
     * and the requests as `argv` takes them (`items`).
     * `now`: the scripts' clock (0: Redis TIME; the ledger records then say Date.now()).
     */
    batch(kind, requests, now = 0) {
      const keys = [];
      const args = [];
      let kinds = '';
      for (const { id, user } of requests) {
        keys.push(userPrefix(user), outboxKey(user));
        kinds += kind;
        const settle = settleReq(id, user, now || Date.now());
        args.push(kind === 'r' ? reserveArgs(reserveReq(id, user), now) : settleArgs(settle, now, recordFields(settle.record), 400 * 86_400_000));
      }
      return { keys, kinds, args, items: args.map((a, i) => ({ kind, prefix: keys[2 * i], outbox: keys[2 * i + 1], args: a })) };
    },
  };
}
