// A real Redis Cluster on loopback for the tests that need one: three masters (and, asked for,
// a replica each), started on free ports, joined with `redis-cli --cluster create`, restarted
// (killed and started again from its node files and, if it keeps one, its append-only files) and
// stopped (by PID) when done.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './global-redis.js';
import { tempDir } from './temp-dir.js';

export interface TestCluster {
  readonly nodes: Array<{ host: string; port: number }>;
  /** `host:port,host:port,…` as REDIS_CLUSTER_NODES takes it. */
  readonly seeds: string;
  /** Each node's redis-server process, for tests that pause or kill one (a restart replaces them). */
  readonly processes: ReadonlyArray<{ readonly port: number; readonly child: ChildProcess }>;
  /**
   * Kills every node (SIGKILL) and starts it again with the same files (after `whileDown`, if
   * given, has run); resolves once the cluster is ok.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
  stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(options: { replicas?: 0 | 1; extraArgs?: string[] } = {}): Promise<TestCluster> {
  const replicas = options.replicas ?? 0;
  const dir = tempDir('tollgate-cluster');
  const ports: number[] = [];
  for (let i = 0; i < 3 * (1 + replicas); i++) ports.push(await freePort());
  const extra = options.extraArgs ?? [];
  const spawnNode = (p: number) => spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1',
    '--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${p}.conf`), '--save', '',
    ...(extra.includes('--appendonly') ? [] : ['--appendonly', 'no']), '--dir', dir, '--appenddirname', `appendonly-${p}`,
    // A replica syncs the moment it asks (not after the default 5 s wait for more replicas).
    '--repl-diskless-sync-delay', '0', '--logfile', path.join(dir, `${p}.log`), ...extra],
  { stdio: 'ignore' });
  const children: ChildProcess[] = ports.map(spawnNode);
  const stop = () => {
    for (const c of children) if (c.pid && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  try {
    await answering(ports);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', String(replicas), '--cluster-yes'], { stdio: 'pipe' });
    await formed(ports, dir);
  } catch (e) {
    stop();
    throw e;
  }
  return {
    nodes: ports.map((port) => ({ host: '127.0.0.1', port })), seeds: ports.map((p) => `127.0.0.1:${p}`).join(','),
    processes: ports.map((port, i) => ({ port, get child() { return children[i] as ChildProcess; } })),
    async restart(whileDown) {
      await Promise.all(children.map((c) => new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) resolve();
        else c.once('exit', () => resolve()).kill('SIGKILL');
      })));
      try {
        await whileDown?.();
      } finally {
        ports.forEach((p, i) => (children[i] = spawnNode(p)));
      }
      await answering(ports);
      await formed(ports, dir);
    },
    stop,
  };
}

/** Waits until every node answers PING. */
async function answering(ports: readonly number[]): Promise<void> {
  for (const p of ports) {
    for (let i = 0; i < 100; i++) {
      try {
        if (execFileSync('redis-cli', ['-p', String(p), 'ping'], { stdio: 'pipe' }).toString().includes('PONG')) break;
      } catch {
        await sleep(50);
      }
    }
  }
}

/** Waits until every node says cluster_state:ok and every replica has synced. */
async function formed(ports: readonly number[], dir: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = ports.every((p) => execFileSync('redis-cli', ['-p', String(p), 'cluster', 'info']).toString().includes('cluster_state:ok'));
    if (ok) break;
    await sleep(100);
  }
  // A replica that has not finished its first sync cannot take over (it refuses: its data is too
  // old), so the cluster is ready once every replica's link to its master is up.
  const synced = () => ports.every((p) => {
    const info = execFileSync('redis-cli', ['-p', String(p), 'info', 'replication']).toString();
    return info.includes('role:master') || (info.includes('master_link_status:up') && info.includes('master_sync_in_progress:0'));
  });
  for (let i = 0; !synced(); i++) {
    if (i === 200) throw new Error(`cluster replicas not synced after 20 s (logs in ${dir})`);
    await sleep(100);
  }
}
