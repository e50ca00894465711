// What store.settle_replicas costs (issue 13): reserve + settle pairs against a Redis master with
// one replica on loopback, in one process, without and with WAIT 1 after each settle, taken in
// turns (the machine's speed drifts). Prints µs per pair at concurrency 1 (latency) and pairs per
// second at concurrency 50 (throughput), and their ratios. Needs `npm run build` first.
//   node bench/settle-replicas.mjs   (SR_ROUNDS, SR_PAIRS)
import { spawn } from 'node:child_process';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { CLIENT_OPTIONS } from '../dist/store/create-store.js';
import { createRedisStore } from '../dist/store/redis/store.js';
import { median } from './requests.mjs';

const ROUNDS = Number(process.env.SR_ROUNDS ?? 5);
const PAIRS = Number(process.env.SR_PAIRS ?? 2000);

const freePort = () => new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const [mport, rport] = [await freePort(), await freePort()];
const args = (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
const master = spawn('redis-server', args(mport), { stdio: 'ignore' });
const replica = spawn('redis-server', [...args(rport), '--replicaof', '127.0.0.1', String(mport)], { stdio: 'ignore' });
try {
  const probe = new Redis({ port: rport, lazyConnect: true, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    try {
      if ((await probe.info('replication')).includes('master_link_status:up')) break;
    } catch { /* not up yet */ }
    await sleep(100);
  }
  probe.disconnect();

  const stores = {};
  for (const [name, settleReplicas] of [['off', null], ['wait 1', { replicas: 1, timeoutMs: 100 }]]) {
    const client = new Redis({ port: mport, host: '127.0.0.1', ...CLIENT_OPTIONS });
    stores[name] = createRedisStore({ client, settleReplicas });
  }
  const checks = [{ dimension: 'requests', window: 'day', limit: null, fixed: 1, perOutput: 0 }, { dimension: 'tokens', window: 'day', limit: null, fixed: 100, perOutput: 1 }];
  let n = 0;
  const pair = async (store) => {
    const userId = `sr-${n % 50}`;
    const requestId = `sr-${process.pid}-${++n}`;
    await store.reserve({ userId, requestId, checks, maxOutput: 100, minOutput: 0, mode: 'hard', parallelLimit: null, ttlMs: 60_000, conversation: null, spend: { fixed: 0, perOutput: 0, priced: true } });
    const r = await store.settle({ userId, requestId, checks, conversationRoot: null,
      actual: { requests: 1, messages: 0, tokens: 150, credits: 0, spend_micros: 0 },
      record: { requestId, time: Date.now(), user: userId, model: 'm', conversation: null, promptTokens: 50, completionTokens: 100, cachedTokens: 0, reasoningTokens: 0, costMicros: 0, outcome: 'ok', estimated: false } }, { confirm: true });
    if (r.replicated === false) throw new Error('the replica did not confirm a settle');
  };
  const run = async (store, concurrency) => {
    const t0 = performance.now();
    let left = PAIRS;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await pair(store);
    }));
    return performance.now() - t0;
  };
  const totals = {};
  for (const name of Object.keys(stores)) await run(stores[name], 50); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(stores)) {
      for (const c of [1, 50]) {
        const ms = await run(stores[name], c);
        (totals[`${name}@${c}`] ??= []).push(ms);
      }
    }
  }
  const us1 = (name) => (median(totals[`${name}@1`]) * 1000) / PAIRS;
  const rps50 = (name) => PAIRS / (median(totals[`${name}@50`]) / 1000);
  console.log(`reserve + settle pairs, master + 1 replica on loopback, ${PAIRS} pairs x ${ROUNDS} rounds (medians):`);
  for (const name of Object.keys(stores)) console.log(`  ${name}: ${us1(name).toFixed(0)} µs/pair at concurrency 1, ${rps50(name).toFixed(0)} pairs/s at 50`);
  console.log(`  wait 1 / off: latency x${(us1('wait 1') / us1('off')).toFixed(2)}, throughput x${(rps50('wait 1') / rps50('off')).toFixed(2)}`);
  for (const s of Object.values(stores)) await s.close();
} finally {
  master.kill('SIGKILL');
  replica.kill('SIGKILL');
}
