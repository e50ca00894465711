// Waits for replicas to hold a settle (store.settle_replicas): Redis replicates asynchronously, so a
// master that dies right after answering can take the settle with it when its replica takes over.
// WAIT blocks this connection until `replicas` replicas have every write it sent, or `timeoutMs`
// passes. It must go out on the connection the settle went out on: on a Cluster, the one to the
// master of the user's slot.
import type { Cluster, Redis } from 'ioredis';
import { slotOf } from './outbox-keys.js';

export interface ReplicaWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/** Whether the replicas confirmed the user's last settle in time (an error or a timeout: false). */
export function createReplicaWait(client: Redis | Cluster, o: ReplicaWait): (userId: string) => Promise<boolean> {
  const connectionOf = (userId: string): Redis | Cluster | undefined => {
    if (!client.isCluster) return client;
    const cluster = client as Cluster;
    const key = cluster.slots[slotOf(`u:${userId}`)]?.[0];
    return cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === key);
  };
  return async (userId) => {
    const connection = connectionOf(userId);
    if (!connection) return false;
    try {
      return Number(await connection.call('WAIT', o.replicas, o.timeoutMs)) >= o.replicas;
    } catch {
      return false;
    }
  };
}
