// Starting and stopping what the benchmark measures, each in its own process, on 127.0.0.1.
// Everything started here is stopped by PID when the run ends, whatever happens.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const started = [];
export const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';
export const repo = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

export function stopAll() {
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAll(); process.exit(130); });
process.on('exit', stopAll);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts a node script that prints `ready <port>`; resolves with the child and its port. */
export function startScript(file, args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repo, file), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(child);
    const timer = setTimeout(() => reject(new Error(`${file} did not start`)), 15_000);
    child.stdout.on('data', (d) => {
      const m = /ready (\d+)/.exec(String(d));
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

/** Tollgate from dist/, with high limits (nothing refused) and quiet logs. */
export async function startTollgate({ upstreamUrl, redisUrl }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-bench-'));
  const config = path.join(dir, 'gateway.yaml');
  writeFileSync(config, [
    'limits:', '  requests_per_minute: 100000000', '  tokens_per_day: 1000000000000', '  spend_micros_per_day: 1000000000000',
    'metering:', `  prices_file: ${path.join(repo, 'config/prices.yaml')}`, 'log_level: warn', '',
  ].join('\n'));
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), HOST: '127.0.0.1', TOLLGATE_CONFIG: config, UPSTREAM_BASE_URL: upstreamUrl,
    UPSTREAM_API_KEY: 'sk-bench', TOLLGATE_ADMIN_KEY: ADMIN_KEY, TOLLGATE_JOURNAL: path.join(dir, 'journal.ndjson') };
  if (redisUrl) env.REDIS_URL = redisUrl; else delete env.REDIS_URL;
  const child = spawn(process.execPath, [path.join(repo, 'dist/main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  started.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const admin = (p, body) => fetch(url + p, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
  await admin('/admin/users', { id: 'bench' });
  const { key } = await admin('/admin/users/bench/keys', {});
  return { child, url, key };
}

/** A Redis: REDIS_URL or 127.0.0.1:6379 when it answers, else our own redis-server. */
export async function startRedis() {
  const answers = (port) => { try { return execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' }).toString().includes('PONG'); } catch { return false; } };
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, port: Number(new URL(process.env.REDIS_URL).port || 6379) };
  if (answers(6379)) return { url: 'redis://127.0.0.1:6379', port: 6379 };
  const port = await freePort();
  started.push(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
  for (let i = 0; i < 100 && !answers(port); i++) await new Promise((r) => setTimeout(r, 50));
  return { url: `redis://127.0.0.1:${port}`, port };
}

/** Resident set size of a process, in MB (Linux). */
export function rssMb(pid) {
  try {
    const status = execFileSync('cat', [`/proc/${pid}/status`]).toString();
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export function evalshaCalls(port) {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'commandstats']).toString();
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}
