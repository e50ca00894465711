// A TCP relay on 127.0.0.1 (port 0) between a Redis client and a redis-server, for the tests
// where Redis runs commands whose replies never reach the client (issue 13): it forwards every
// command, and can be told to swallow the replies on the connections it holds (connections made
// afterwards, the client's reconnections, are forwarded both ways) and to stop listening for a
// while (the client's reconnections are refused). When either side of a connection closes, the
// relay closes the other.
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface RedisRelay {
  readonly port: number;
  /** From now on, replies on the connections the relay holds are dropped; commands still go through. */
  swallowReplies(): void;
  /** Stops listening (new connections are refused) or listens again on the same port. */
  refuse(on: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<RedisRelay> {
  const muted = new Set<net.Socket>();
  const pairs = new Set<[net.Socket, net.Socket]>();
  const server = net.createServer((client) => {
    const redis = net.connect(targetPort, '127.0.0.1');
    const pair: [net.Socket, net.Socket] = [client, redis];
    pairs.add(pair);
    client.on('data', (chunk) => redis.write(chunk));
    redis.on('data', (chunk) => {
      if (!muted.has(client)) client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      muted.delete(client);
      client.destroy();
      redis.destroy();
    };
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const stop = () => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    swallowReplies: () => {
      for (const [client] of pairs) muted.add(client);
    },
    refuse: async (on) => {
      if (on) {
        // server.close() calls back once the connections it accepted are gone too: listening stops at once.
        server.close();
        return;
      }
      await listen(port);
    },
    close: async () => {
      for (const [client, redis] of pairs) {
        client.destroy();
        redis.destroy();
      }
      await stop();
    },
  };
}
