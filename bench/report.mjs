// The results as Markdown (printed, and written to bench/results.md) and the latency chart
// (bench/latency.svg). Targets are reported against, never asserted: these machines are noisy.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CHART_PERCENTILES, latencySvg } from './chart.mjs';
import { percentile } from './requests.mjs';

const GATEWAYS = ['tollgate-redis', 'tollgate-deployed', 'tollgate-memory'];
const ON_REDIS = ['tollgate-redis', 'tollgate-deployed'];
const n = (v, digits = 0) => (Number.isFinite(v) ? v.toFixed(digits) : '—');
const signed = (v) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(0)}` : '—');
const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (head, rows) => [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const met = (ok) => (ok ? 'met' : '**missed**');

/** Each pass's rate ÷ the floor's in the same pass (the machine's speed drifts between passes). */
const passRatios = (x, floor) => x.passRps.map((v, i) => v / floor.passRps[i]);
const span = (values, digits) => `${n(Math.min(...values), digits)}–${n(Math.max(...values), digits)}`;

function throughputTable(r) {
  const floor = r.load.floor;
  return table(
    ['target', 'JSON req/s', '÷ floor', 'stream req/s', '÷ floor', 'req/s, slowest–fastest pass (JSON; stream)', '÷ floor by pass, lowest–highest (JSON; stream)', 'CPU µs/req JSON, stream', 'Redis CPU µs/req', 'Redis commands/req', 'failed', 'peak RSS MB', 'other load on the machine'],
    r.targets.map((t) => {
      const x = r.load[t];
      const gateway = t !== 'direct';
      return [t, n(x.json.rps), gateway ? n(x.json.rps / floor.json.rps, 2) : '', n(x.stream.rps),
        gateway ? n(x.stream.rps / floor.stream.rps, 2) : '', `${span(x.json.passRps, 0)}; ${span(x.stream.passRps, 0)}`,
        gateway ? `${span(passRatios(x.json, floor.json), 2)}; ${span(passRatios(x.stream, floor.stream), 2)}` : '',
        `${n(x.json.cpuUsPerRequest)}, ${n(x.stream.cpuUsPerRequest)}`,
        Number.isFinite(x.json.redisCpuUsPerRequest) ? `${n(x.json.redisCpuUsPerRequest)}, ${n(x.stream.redisCpuUsPerRequest)}` : '',
        Number.isFinite(x.json.redisCommandsPerRequest) ? `${n(x.json.redisCommandsPerRequest, 1)}, ${n(x.stream.redisCommandsPerRequest, 1)}` : '',
        x.json.failed + x.stream.failed, gateway ? n(Math.max(x.json.peakRssMb, x.stream.peakRssMb)) : '',
        `${n(x.json.backgroundPct)} %, ${n(x.stream.backgroundPct)} %`];
    }),
  );
}

function latencyTable(r) {
  const p = (t, q) => percentile(r.latency[t].samples, q);
  return table(
    ['target', 'p50 µs', 'p90 µs', 'p99 µs', 'p99.9 µs', 'added p50 µs', 'added p99 µs', 'samples'],
    r.targets.map((t) => [t, n(p(t, 50)), n(p(t, 90)), n(p(t, 99)), n(p(t, 99.9)),
      t === 'direct' ? '' : signed(p(t, 50) - p('direct', 50)), t === 'direct' ? '' : signed(p(t, 99) - p('direct', 99)),
      r.latency[t].samples.length]),
  );
}

function streamTable(r) {
  const s = (t, k, q) => percentile(r.streams[t][k], q);
  const added = (t, k, q) => (t === 'direct' ? '' : signed(s(t, k, q) - s('direct', k, q)));
  return table(
    ['target', 'TTFB p50 µs', 'TTFB p99 µs', 'added TTFB p50 µs', 'added TTFB p99 µs', 'gap p50 µs', 'added gap p50 µs', 'added gap p99 µs', 'added last-chunk p50 µs'],
    r.targets.map((t) => [t, n(s(t, 'ttfb', 50)), n(s(t, 'ttfb', 99)), added(t, 'ttfb', 50), added(t, 'ttfb', 99),
      n(s(t, 'gaps', 50)), added(t, 'gaps', 50), added(t, 'gaps', 99), added(t, 'last', 50)]),
  );
}

function openTable(r) {
  return table(
    ['gateway', 'RSS before MB', 'peak RSS MB', 'streams open at once', 'KB per open stream', 'opened', 'completed', 'failed'],
    Object.entries(r.open).map(([t, o]) => [t, n(o.baselineRssMb), n(o.peakRssMb), `${o.maxOpen} of ${o.count}`,
      n((1024 * (o.peakRssMb - o.baselineRssMb)) / o.maxOpen), o.opened, o.completed, o.failed]),
  );
}

function targetRows(r) {
  const lat = (t, q) => percentile(r.latency[t].samples, q) - percentile(r.latency.direct.samples, q);
  const st = (t, k) => percentile(r.streams[t][k], 50) - percentile(r.streams.direct[k], 50);
  // The floor's own added latency beside each gateway's: what any proxy on this machine adds.
  const rows = [];
  for (const t of GATEWAYS) {
    const x = r.load[t];
    if (!x) continue;
    const rssLoad = Math.max(x.json.peakRssMb, x.stream.peakRssMb);
    const jsonRatio = x.json.rps / r.load.floor.json.rps;
    const streamRatio = x.stream.rps / r.load.floor.stream.rps;
    const withFloor = (v, f) => `${n(v)} µs (floor ${n(f)} µs)`;
    rows.push(
      [t, 'throughput ≥ 0.6 × floor (JSON, stream)', `${n(jsonRatio, 2)}, ${n(streamRatio, 2)}`, met(jsonRatio >= 0.6 && streamRatio >= 0.6)],
      [t, 'added p50 ≤ 300 µs', withFloor(lat(t, 50), lat('floor', 50)), met(lat(t, 50) <= 300)],
      [t, 'added p99 ≤ 1,500 µs', withFloor(lat(t, 99), lat('floor', 99)), met(lat(t, 99) <= 1500)],
      [t, 'added TTFB ≤ 500 µs (p50)', withFloor(st(t, 'ttfb'), st('floor', 'ttfb')), met(st(t, 'ttfb') <= 500)],
      [t, 'no added delay between chunks (p50 gap within 100 µs)', `${n(st(t, 'gaps'))} µs`, met(st(t, 'gaps') <= 100)],
      [t, 'RSS ≤ 150 MB under 50 connections', `${n(rssLoad)} MB`, met(rssLoad <= 150)],
    );
    if (ON_REDIS.includes(t)) {
      const cpu = Math.max(x.json.redisCpuUsPerRequest, x.stream.redisCpuUsPerRequest);
      const cmds = Math.max(x.json.redisCommandsPerRequest, x.stream.redisCommandsPerRequest);
      rows.push(
        [t, 'Redis CPU ≤ 80 µs per request (JSON, stream)', `${n(x.json.redisCpuUsPerRequest)}, ${n(x.stream.redisCpuUsPerRequest)} µs`, met(cpu <= 80)],
        [t, 'Redis commands ≤ 15 per request, scripts\' own included (JSON, stream)', `${n(x.json.redisCommandsPerRequest, 1)}, ${n(x.stream.redisCommandsPerRequest, 1)}`, met(cmds <= 15)],
      );
    }
    const o = r.open[t];
    if (o) rows.push([t, `RSS ≤ 300 MB with ${o.count} streams open`, `${n(o.peakRssMb)} MB with ${o.maxOpen} open`, met(o.peakRssMb <= 300 && o.maxOpen === o.count)]);
  }
  const m = r.storeCalls.monitor;
  rows.push(['tollgate-redis', 'store calls: exactly 1 before the upstream call, 1 after',
    `${n(m.scriptsBefore, 2)} before, ${n(m.scriptsAfter, 2)} after (${m.exactlyOneEachSide} of ${m.requests} requests exactly 1 + 1)`,
    met(m.exactlyOneEachSide === m.requests)]);
  return rows;
}

export function markdown(r) {
  const c = r.storeCalls;
  return [
    '# Tollgate benchmark', '',
    `${r.date} · Tollgate ${r.revision} · ${r.machine} · Redis ${r.redis} · load average ${r.loadBefore} before, ${r.loadAfter} after · ${n(r.seconds, 0)} s in all`, '',
    'All on 127.0.0.1, each server in its own process: the bench upstream, a bare hono + @hono/node-server + undici',
    'pass-through with no auth or metering (**floor**), Tollgate on Redis (**tollgate-redis**: warn logs, every limit;',
    '**tollgate-deployed**: as a newcomer deploys it, info logs — a line per request — and requests per minute and day,',
    'messages and tokens per day, parallel requests) and on its memory store. **direct** is the upstream with no proxy.',
    'Ratios are against the floor, added latencies against direct, all from the same run. Redis commands per request',
    'count the commands scripts run inside Redis too (INFO commandstats, over each Redis target\'s own load passes).', '',
    `## Throughput (autocannon, ${r.params.connections} connections, ${r.params.seconds} s per target and mode in ${r.params.passes} passes)`, '',
    `Each target is first warmed up (${r.params.warmupSeconds} s of each mode, not counted); the passes alternate the targets' order (direct → memory, then memory → direct) so that other work on the machine falls on all alike.`,
    'CPU µs/req: the target process\'s CPU time ÷ requests served (for direct, the upstream\'s). Other load: CPU taken by',
    'processes outside this benchmark during the run, as a share of the whole machine — high values make every number here worse.', '',
    throughputTable(r), '',
    `## Sequential latency (one connection, ${r.params.latency.rounds} rounds rotating the targets)`, '', latencyTable(r), '',
    '![latency percentiles](latency.svg)', '',
    `## Streams (${r.params.streams.chunks} chunks ${r.params.streams.delayMs} ms apart, ${r.params.streams.streams} streams per target)`, '',
    streamTable(r), '',
    `## ${r.params.open.count} streams open at once (${r.params.open.chunks} chunks ${r.params.open.delayMs} ms apart, cancelled after ${r.params.open.holdMs / 1000} s)`, '',
    openTable(r), '',
    '## Store calls per request (tollgate-redis)', '',
    `- MONITOR, ${c.monitor.requests} sequential requests (half JSON, half streaming): ${n(c.monitor.scriptsBefore, 2)} script calls before the upstream call, ${n(c.monitor.scriptsAfter, 2)} after; ${c.monitor.exactlyOneEachSide} of ${c.monitor.requests} requests exactly one each side. Other commands from the gateway's connections: ${n(c.monitor.otherCommands, 3)} per request (auth-cache refreshes). Commands the two scripts run inside Redis: ${n(c.monitor.commandsInsideScripts, 1)} per request.`,
    `- INFO commandstats, FCALL + EVALSHA + EVAL ÷ requests${r.redisOwn ? '' : ' (a shared Redis: other clients\' scripts would count too)'}: sequential run ${n(c.stats.sequential, 3)}, JSON load ${n(c.stats.json, 3)}, stream load ${n(c.stats.stream, 3)}.`, '',
    '## Against the targets (reported, not asserted)', '',
    table(['gateway', 'target', 'measured', ''], targetRows(r)), '',
    r.failures.length === 0 ? 'No run failed.' : `**Failed:**\n\n${r.failures.map((f) => `- ${f}`).join('\n')}`, '',
  ].join('\n');
}

export function writeReport(r, dir) {
  writeFileSync(path.join(dir, 'results.md'), markdown(r));
  const series = Object.fromEntries(r.targets.map((t) => [t, CHART_PERCENTILES.map((q) => percentile(r.latency[t].samples, q))]));
  writeFileSync(path.join(dir, 'latency.svg'), latencySvg(series, `Sequential latency, ${r.date.slice(0, 10)} (${r.machine})`));
}
