// Every process the benchmark starts, tracked by PID and stopped by PID: SIGTERM, then SIGKILL
// after a grace period. Nothing else is ever signalled. A child that dies while still needed is
// recorded as a failed run.
import { spawn } from 'node:child_process';
import net from 'node:net';

const running = new Set();
const crashes = [];

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a process and tracks it until it exits. */
export function startChild(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const entry = { name, child, stopping: false, stderr: '' };
  running.add(entry);
  child.stderr?.on('data', (d) => { entry.stderr = (entry.stderr + String(d)).slice(-4000); });
  child.once('exit', (code, signal) => {
    running.delete(entry);
    if (!entry.stopping) crashes.push(`${name} (pid ${child.pid}) exited unexpectedly: code ${code}, signal ${signal}\n${entry.stderr}`);
  });
  return entry;
}

/** Resolves with the first match of `pattern` on the child's stdout. */
export function waitForOutput(entry, pattern, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${entry.name} did not print ${pattern} within ${timeoutMs} ms\n${entry.stderr}`)), timeoutMs);
    const onData = (d) => {
      seen += String(d);
      const m = pattern.exec(seen);
      if (!m) return;
      clearTimeout(timer);
      entry.child.stdout.off('data', onData);
      entry.child.stdout.resume(); // keep draining what it prints later
      resolve(m);
    };
    entry.child.stdout.on('data', onData);
    entry.child.once('exit', () => { clearTimeout(timer); reject(new Error(`${entry.name} exited before it was ready\n${entry.stderr}`)); });
  });
}

/** Stops one child by its PID: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(entry, graceMs = 5000) {
  const { child } = entry;
  entry.stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL'); }, graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...running].map((entry) => stopChild(entry)));
}

/** Children that died on their own, with the end of their stderr. */
export const unexpectedExits = () => crashes.slice();

// Last resort when the run is interrupted: kill what is still running, by PID.
process.on('exit', () => {
  for (const { child } of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => { void stopAll().finally(() => process.exit(130)); });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
