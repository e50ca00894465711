// Finds a real Redis for the suite: REDIS_URL if set, else 127.0.0.1:6379 if it answers, else a
// redis-server of our own on a free port, stopped when the run ends. Never skips.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { TestProject } from 'vitest/node';
import { Redis } from 'ioredis';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined); // a refused connection is the answer "no"; connect() rejects with it
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export async function startRedisServer(extraArgs: string[] = [], fixedPort?: number): Promise<{ url: string; port: number; child: ChildProcess }> {
  const port = fixedPort ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...(extraArgs.includes('--appendonly') ? [] : ['--appendonly', 'no']), ...extraArgs], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const pass = extraArgs[extraArgs.indexOf('--requirepass') + 1];
  const probe = extraArgs.includes('--requirepass') && pass ? `redis://:${encodeURIComponent(pass)}@127.0.0.1:${port}` : url;
  for (let i = 0; i < 100; i++) {
    if (await answers(probe)) return { url, port, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port}`);
}

let own: ChildProcess | undefined;

export default async function setup(project: TestProject): Promise<() => void> {
  let url = process.env.REDIS_URL;
  if (url && !(await answers(url))) throw new Error(`REDIS_URL=${url} does not answer`);
  if (!url) url = (await answers('redis://127.0.0.1:6379')) ? 'redis://127.0.0.1:6379' : undefined;
  if (!url) {
    const started = await startRedisServer();
    own = started.child;
    url = started.url;
  }
  project.provide('redisUrl', url);
  return () => {
    if (own?.pid) process.kill(own.pid, 'SIGTERM');
  };
}
