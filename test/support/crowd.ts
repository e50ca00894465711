// A crowd of users with small parallel limits, for the tests where the store stalls, loses its
// connections or restarts while their reserves are in flight (issue 13): each user is made,
// served once (so its key is in the auth cache), then asked to be served again afterwards.
import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import type { TestGateway } from './gateway.js';
import { uniqueId } from './redis-client.js';
import { SCRIPT_CALLS } from '../../src/store/redis/scripts.js';

export interface Member { readonly id: string; readonly key: string; readonly parallel: number }

/** One chat request: its status, its error code, and whether it was served unmetered (fail mode open, store unreachable). */
export async function ask(gw: TestGateway, key: string): Promise<{ status: number; code: string | null; degraded: boolean }> {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await r.text();
  return { status: r.status, code: r.status === 200 ? null : ((JSON.parse(text) as { error: { code: string } }).error.code),
    degraded: r.headers.get('x-tollgate-degraded') !== null };
}

/** `size` users, most with a parallel limit of 1 and every third with 2, each served once. */
export async function makeCrowd(gw: TestGateway, label: string, size: number, limits: Record<string, number> = {}): Promise<Member[]> {
  const crowd: Member[] = [];
  for (let i = 0; i < size; i++) {
    const id = uniqueId(`${label}${i}`);
    const parallel = i % 3 === 2 ? 2 : 1;
    crowd.push({ id, key: await gw.userWithKey(id, { max_parallel_requests: parallel, tokens_per_day: 10_000_000, ...limits }), parallel });
  }
  expect((await Promise.all(crowd.map((m) => ask(gw, m.key)))).map((r) => r.status)).toEqual(crowd.map(() => 200));
  return crowd;
}

/**
 * Answers while the store's connections were cut or it restarted: a 503 for every reserve, which
 * the gateway gave up on (the client writes a command once: it does not send it again on its next
 * connection).
 */
export function expectGaveUp(answers: ReadonlyArray<{ status: number; code: string | null }>): void {
  expect(answers.filter((r) => r.status !== 503 || r.code !== 'store_unavailable')).toEqual([]);
}

/** Every user asks for as many requests at once as its parallel limit allows: the statuses. */
export async function askAll(gw: TestGateway, crowd: readonly Member[]): Promise<number[]> {
  const asks = crowd.flatMap((m) => Array.from({ length: m.parallel }, () => ask(gw, m.key)));
  return (await Promise.all(asks)).map((r) => r.status);
}

/** What the users still hold once nothing is in flight: slots in use and tokens reserved, summed. */
export async function held(gw: TestGateway, crowd: readonly Member[]): Promise<{ slots: number; tokens: number }> {
  let slots = 0;
  let tokens = 0;
  for (const m of crowd) {
    const r = await fetch(`${gw.url}/v1/quota`, { headers: { authorization: `Bearer ${m.key}` } });
    const { limits } = (await r.json()) as { limits: Array<{ dimension: string; used: number; reserved: number }> };
    slots += limits.find((l) => l.dimension === 'parallel_requests')?.used ?? 0;
    tokens += limits.find((l) => l.dimension === 'tokens')?.reserved ?? 0;
  }
  return { slots, tokens };
}

/** The gateway answers ready and has applied every settle and release: none on its way, none journaled. */
export async function recovered(gw: TestGateway): Promise<void> {
  await expect.poll(async () => (await fetch(`${gw.url}/readyz`)).status, { timeout: 20_000, interval: 100 }).toBe(200);
  await expect.poll(() => gw.inFlight.settling + gw.journal.backlog, { timeout: 20_000, interval: 100 }).toBe(0);
}

const nodesOf = (client: Redis | Cluster): Redis[] => ('isCluster' in client && client.isCluster ? (client as Cluster).nodes('all') : [client as Redis]);

interface Queued { command: { name: string; args: unknown[] } }

/** Requests one written command carries: a group-commit batch (store/redis/group-commit.ts) one per pair of keys, any other command one. */
function requestsIn(q: Queued): number {
  const { name, args } = q.command;
  const keys = Number(args[1]);
  return SCRIPT_CALLS.has(name) && keys >= 2 ? keys / 2 : 1;
}

/** Waits until the client has written the commands of `count` requests that Redis has not answered (it is paused). */
export async function waitUnanswered(client: Redis | Cluster, count: number): Promise<void> {
  const unanswered = () => nodesOf(client).reduce((n, node) => {
    const queue = node.commandQueue as unknown as { toArray(): Queued[] };
    return n + queue.toArray().reduce((k, q) => k + requestsIn(q), 0);
  }, 0);
  await expect.poll(unanswered, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(count);
}

/** Cuts every connection the client holds, from the client's side (as a reset or a dead NAT entry would). */
export function cutConnections(client: Redis | Cluster): void {
  for (const node of nodesOf(client)) node.stream?.destroy();
}
