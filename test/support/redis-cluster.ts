// A real three-node Redis Cluster on loopback for the tests that need one: started on free
// ports, joined with `redis-cli --cluster create`, stopped (by PID) when done.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './global-redis.js';

export interface TestCluster {
  readonly nodes: Array<{ host: string; port: number }>;
  /** `host:port,host:port,…` as REDIS_CLUSTER_NODES takes it. */
  readonly seeds: string;
  stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(): Promise<TestCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tollgate-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = ports.map((p) => spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${p}.conf`), '--save', '', '--appendonly', 'no', '--dir', dir],
  { stdio: 'ignore' }));
  const stop = () => {
    for (const c of children) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
  };
  try {
    for (const p of ports) {
      for (let i = 0; i < 100; i++) {
        try {
          if (execFileSync('redis-cli', ['-p', String(p), 'ping'], { stdio: 'pipe' }).toString().includes('PONG')) break;
        } catch {
          await sleep(50);
        }
      }
    }
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'pipe' });
    for (let i = 0; i < 100; i++) {
      const ok = ports.every((p) => execFileSync('redis-cli', ['-p', String(p), 'cluster', 'info']).toString().includes('cluster_state:ok'));
      if (ok) break;
      await sleep(100);
    }
  } catch (e) {
    stop();
    throw e;
  }
  return { nodes: ports.map((port) => ({ host: '127.0.0.1', port })), seeds: ports.map((p) => `127.0.0.1:${p}`).join(','), stop };
}
