// Store calls per request, and on which side of the upstream call they fall, read from Redis
// MONITOR. Before each request this process sends ECHO `start`; the bench upstream sends ECHO
// `upstream` when the request reaches it; so for request i the store calls between start i and
// upstream i were made before the upstream call, and those after it (up to start i+1, sent once
// the response has ended and the settle has had time to land) after. Only commands from the
// gateway's own connections count (those that ran a script on this run's user); the commands the
// scripts run inside Redis are counted apart.
import { Pool } from 'undici';
import { SCRIPT_CALLS } from '../dist/store/redis/scripts.js';
import { sleep } from './children.mjs';
import { headersFor, jsonBody, PATH, streamBody } from './requests.mjs';

const START = 'tollgate-bench:start';
const UPSTREAM = 'tollgate-bench:upstream';

async function send(pool, target, body) {
  const r = await pool.request({ path: PATH, method: 'POST', headers: headersFor(target), body });
  await r.body.text();
  return r.statusCode === 200;
}

/** Runs `n` JSON and `n` streaming requests one at a time; resolves with per-request counts. */
export async function storeCalls(redis, target, { n, settleWaitMs }) {
  const prefix = `tg:{u:${target.userId}}:`;
  const events = [];
  const monitor = await redis.monitor();
  monitor.on('monitor', (_time, args, source) => events.push({ args: args.map(String), source }));
  const pool = new Pool(target.origin, { connections: 1 });
  let failed = 0;
  try {
    await sleep(50);
    for (let i = 0; i < 2 * n; i++) {
      const body = i < n ? jsonBody({ mark: true }) : streamBody({ mark: true, chunks: 8 });
      await redis.echo(START);
      if (!(await send(pool, target, body))) failed++;
      await sleep(settleWaitMs);
    }
    await redis.echo(START);
    await sleep(100);
  } finally {
    monitor.disconnect();
    await pool.close();
  }
  return { ...tally(events, prefix, 2 * n), failed };
}

function tally(events, prefix, requests) {
  const isScript = (a) => SCRIPT_CALLS.has(a[0]) && a[3]?.startsWith(prefix);
  const inScript = (e) => e.source === 'lua' && e.args[1]?.startsWith(prefix);
  const gateway = new Set(events.filter((e) => e.source !== 'lua' && isScript(e.args)).map((e) => e.source));
  const per = [];
  let current = null;
  for (const { args, source } of events) {
    if (args[0] === 'echo' && args[1] === START) {
      current = { scripts: { before: 0, after: 0 }, other: { before: 0, after: 0 }, inside: 0, side: 'before' };
      per.push(current);
    } else if (args[0] === 'echo' && args[1] === UPSTREAM) {
      if (current) current.side = 'after';
    } else if (current && inScript({ args, source })) {
      current.inside++;
    } else if (current && gateway.has(source)) {
      current[isScript(args) ? 'scripts' : 'other'][current.side]++;
    }
  }
  const done = per.slice(0, requests); // the last START only closes the last request
  const mean = (f) => done.reduce((s, r) => s + f(r), 0) / done.length;
  return {
    requests: done.length,
    scriptsBefore: mean((r) => r.scripts.before),
    scriptsAfter: mean((r) => r.scripts.after),
    otherCommands: mean((r) => r.other.before + r.other.after),
    commandsInsideScripts: mean((r) => r.inside),
    exactlyOneEachSide: done.filter((r) => r.scripts.before === 1 && r.scripts.after === 1).length,
  };
}
