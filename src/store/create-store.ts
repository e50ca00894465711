// Chooses the store from configuration: Redis Cluster, Redis, or the embedded memory store.
// Redis clients reconnect forever, so a store that comes back is used again without a restart.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config/loader.js';
import type { Clock } from '../core/clock.js';
import path from 'node:path';
import { openDurableStore } from './durable/durable-store.js';
import { createRedisStore } from './redis/store.js';
import type { OnReclaim, Store } from './types.js';

// While Redis is unreachable, commands fail at once (no offline queue) so a request gets its
// 503 (or, failing open, is served) without waiting; the client keeps reconnecting meanwhile.
// A command is written at most once: one in flight when its connection dropped fails (the command
// timeout) rather than being written again on the next connection. Redis may have run the first
// copy, and the error of a copy refused before it was written ("not sent": no release needed)
// would hide that (issue 13: a reserve run from an append-only file kept its slot).
export const CLIENT_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 2000,
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  // No auto-pipelining: the store sends each event-loop turn's reserves and settles in one script call itself (redis/group-commit.ts).
  retryStrategy: (times) => Math.min(times * 100, 1000),
};

// A Cluster gives its node connections CLIENT_OPTIONS except two it sets itself (ioredis 6,
// cluster/ConnectionPool.js): retryStrategy (clusterNodeRetryStrategy, none: a node connection
// that drops is not reconnected, the Cluster makes a new one) and enableOfflineQueue (on: a
// command for a node whose connection is still opening waits for it, then is written once). A
// command whose node connection closed before the reply ("Connection is closed.") the Cluster
// sends again on the new connection after retryDelayOnFailover: written twice, when Redis may
// have run the first (a reserve run twice). 0 fails it instead, like a single Redis's. Redirects
// (MOVED, ASK) and refusals (TRYAGAIN, CLUSTERDOWN) are still followed: Redis ran nothing.
export const CLUSTER_OPTIONS: ClusterOptions = {
  redisOptions: CLIENT_OPTIONS,
  clusterRetryStrategy: CLIENT_OPTIONS.retryStrategy,
  retryDelayOnFailover: 0,
};

export interface StoreHooks {
  readonly clock?: Clock;
  readonly onReclaim?: OnReclaim;
}

export function createStore(config: Config, logger: Logger, hooks: StoreHooks = {}): Store {
  const { cluster_nodes: nodes, redis_url: url, history_days: historyDays } = config.store;
  const settleReplicas = config.store.settle_replicas > 0
    ? { replicas: config.store.settle_replicas, timeoutMs: config.store.settle_replicas_timeout_ms } : null;
  const warn = (message: string): void => logger.warn(message);
  if (nodes.length > 0) {
    const cluster = new Cluster(nodes.map((n) => {
      const [host, port] = n.split(':');
      return { host: host as string, port: Number(port) };
    }), CLUSTER_OPTIONS);
    cluster.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis cluster error'));
    logger.info({ nodes }, 'store: Redis Cluster');
    return createRedisStore({ client: cluster, historyDays, settleReplicas, warn, ...hooks });
  }
  if (url) {
    const client = new Redis({ ...redisOptionsFor(url), ...CLIENT_OPTIONS });
    client.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis error'));
    logger.info({ url: redactUrl(url) }, 'store: Redis');
    return createRedisStore({ client, historyDays, settleReplicas, warn, ...hooks });
  }
  const dir = path.resolve(config.store.data_dir);
  const store = openDurableStore({ dir, fsync: config.store.fsync, historyDays, warn, ...hooks });
  logger.info({ dir, fsync: config.store.fsync }, 'store: embedded, kept on disk (one process only; set REDIS_URL for Redis)');
  return store;
}

/** Connection options from a redis:// or rediss:// URL: credentials, ACL user, database, TLS. */
export function redisOptionsFor(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: { servername: u.hostname } } : {}),
  };
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparsable)';
  }
}
