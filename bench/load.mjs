// Throughput: autocannon at `connections` against one target, with the target's peak RSS sampled
// meanwhile and the CPU each request cost the target and Redis. A target's load is split into
// passes that alternate the targets' order (see run.mjs), and `combine` adds the passes up.
import autocannon from 'autocannon';
import { cpuMeter } from './cpu.mjs';
import { bodyFor, headersFor, PATH } from './requests.mjs';
import { sampleRss } from './rss.mjs';

/** `pids`: every process serving this load (upstream, Redis, the target), for the CPU accounting. */
export async function throughput(target, { mode, seconds, connections, pids = [], redisPid = null }) {
  const rss = target.pid ? sampleRss(target.pid) : null;
  const cpu = cpuMeter([...new Set([...pids, target.pid, redisPid].filter(Boolean))]);
  // A target with several users' keys: each connection is one user's (the i-th connection to send
  // a request, key i mod n; autocannon keeps a `context` per connection). A service key's target
  // names one of its end users a connection the same way.
  let next = 0;
  const perUser = target.keys?.length > 1
    ? { requests: [{ setupRequest: (req, context) => {
      context.key ??= target.keys[next++ % target.keys.length];
      return { ...req, headers: headersFor({ key: context.key }) };
    } }] }
    : target.endUsers?.length > 0
      ? { requests: [{ setupRequest: (req, context) => {
        context.user ??= target.endUsers[next++ % target.endUsers.length];
        return { ...req, headers: { ...headersFor(target), 'x-tollgate-user': context.user } };
      } }] }
      : {};
  const result = await autocannon({
    url: `${target.origin}${PATH}`, method: 'POST', connections, duration: seconds,
    headers: headersFor(target), body: bodyFor(mode), ...perUser,
  });
  const peakRssMb = rss ? rss.stop() : NaN;
  const used = cpu.stop();
  return {
    seconds: result.duration,
    requests: result.requests.total,
    failed: result.errors + result.timeouts + result.non2xx,
    targetCpuMs: used.perPid[target.pid] ?? NaN,
    redisCpuMs: redisPid ? used.perPid[redisPid] : NaN,
    backgroundPct: used.backgroundPct,
    peakRssMb,
  };
}

/** Several passes of one target and mode as one result: rates over the summed time and requests. */
export function combine(passes) {
  const sum = (k) => passes.reduce((s, p) => s + (p[k] ?? 0), 0);
  const requests = sum('requests');
  const seconds = sum('seconds');
  return {
    rps: requests / seconds,
    requests,
    seconds,
    failed: sum('failed'),
    cpuUsPerRequest: (1000 * sum('targetCpuMs')) / requests,
    redisCpuUsPerRequest: (1000 * sum('redisCpuMs')) / requests,
    // Redis commands per request (scripts' own commands included), where they were counted.
    redisCommandsPerRequest: passes.some((p) => p.redisCommands !== undefined) ? sum('redisCommands') / requests : NaN,
    backgroundPct: passes.reduce((s, p) => s + p.backgroundPct * p.seconds, 0) / seconds,
    peakRssMb: Math.max(...passes.map((p) => p.peakRssMb)),
    passRps: passes.map((p) => p.requests / p.seconds),
  };
}

/**
 * Every target's load, JSON then streams, in `passes` passes that alternate the targets' order, so
 * that other work on a shared machine weighs on every target alike; each target still gets
 * `seconds` in all, after `warmupSeconds` of each mode that are not counted (a fresh process grows
 * its heap and opens its upstream connections first). `scriptCalls()` (Redis FCALL + EVALSHA + EVAL so
 * far) is read around the runs of the target named `scriptsOf`, for script calls per request.
 * Redis's CPU is counted for the targets named in `redisTargets` (by default `scriptsOf`), and so
 * are all Redis commands when `redisCommands()` (commands run so far) is given.
 */
export async function throughputPasses(targets, {
  passes, seconds, warmupSeconds, connections, pids, redisPid, scriptsOf, scriptCalls, log,
  modes = ['json', 'stream'], redisTargets = [scriptsOf], redisCommands,
}) {
  const runs = Object.fromEntries(targets.map((t) => [t.name, Object.fromEntries(modes.map((m) => [m, []]))]));
  const scripts = Object.fromEntries(modes.map((m) => [m, { calls: 0, requests: 0 }]));
  log(`throughput: warming every target up, ${warmupSeconds} s of each mode`);
  for (const t of targets) {
    for (const mode of modes) await throughput(t, { mode, seconds: warmupSeconds, connections });
  }
  for (let pass = 0; pass < passes; pass++) {
    for (const t of pass % 2 === 0 ? targets : [...targets].reverse()) {
      for (const mode of modes) {
        log(`throughput: ${t.name}, ${mode}, ${connections} connections × ${seconds / passes} s (pass ${pass + 1} of ${passes})`);
        const before = t.name === scriptsOf ? await scriptCalls() : 0;
        const counted = redisCommands && redisTargets.includes(t.name);
        const commandsBefore = counted ? await redisCommands() : 0;
        const x = await throughput(t, {
          mode, seconds: seconds / passes, connections, pids, redisPid: redisTargets.includes(t.name) ? redisPid : null,
        });
        if (counted) x.redisCommands = (await redisCommands()) - commandsBefore;
        if (t.name === scriptsOf) {
          scripts[mode].calls += (await scriptCalls()) - before;
          scripts[mode].requests += x.requests;
        }
        runs[t.name][mode].push(x);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  return {
    results: Object.fromEntries(targets.map((t) => [t.name, Object.fromEntries(modes.map((m) => [m, combine(runs[t.name][m])]))])),
    scriptsPerRequest: Object.fromEntries(modes.map((m) => [m, scripts[m].calls / scripts[m].requests])),
  };
}
