// The embedded store as a team runs it: one `node dist/main.js` on a data directory, killed with
// SIGKILL in the middle of a load, started again, then stopped cleanly and started again. Every
// key keeps working, every counter equals its ledger, and a second process on the same directory
// is refused while one runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, startProcess, type GatewayProcess } from '../support/process.js';
import { createTestUpstream, type TestUpstream } from '../support/upstream.js';
import { tempDir } from '../support/temp-dir.js';

const USERS = 6;
const LIMITS = { requests_per_day: 1_000_000, tokens_per_day: 1_000_000_000, spend_micros_per_day: 1_000_000_000_000 };

interface Usage { users: Array<{ id: string; requests: number; tokens: number; spend_micros: number }> }
interface Ledger { records: Array<{ user: string; promptTokens: number; completionTokens: number; costMicros: number; outcome: string }>; next: string | null }

describe('the embedded store across restarts', () => {
  let upstream: TestUpstream;
  const dir = tempDir('tollgate-embedded');
  const start = () => startProcess({ upstreamUrl: upstream.url, yaml: 'limits: {}\n', env: { TOLLGATE_DATA_DIR: dir } });
  const live: GatewayProcess[] = [];

  beforeAll(async () => {
    upstream = await createTestUpstream({ chunkDelayMs: 2 });
  });
  afterAll(async () => {
    for (const gw of live) await gw.stop();
    await upstream.close();
  });

  const ask = (url: string, key: string, i: number) => fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: i % 2 === 0, messages: [{ role: 'user', content: `question ${i}` }] }),
  });

  /** Per user, what the counters say and what the ledger adds up to. */
  async function books(url: string): Promise<Array<[string, number, number, number, number, number, number]>> {
    const usage = (await adminCall(url, 'GET', '/admin/usage?window=day&limit=1000')) as unknown as Usage;
    const rows: Array<[string, number, number, number, number, number, number]> = [];
    for (const u of usage.users) {
      let ledger: Ledger['records'] = [];
      let cursor = '';
      for (let page = 0; page < 50; page++) {
        const got = (await adminCall(url, 'GET', `/admin/ledger?user=${u.id}&limit=1000${cursor}`)) as unknown as Ledger;
        ledger = ledger.concat(got.records);
        if (!got.next) break;
        cursor = `&cursor=${encodeURIComponent(got.next)}`;
      }
      const ok = ledger.filter((r) => r.outcome === 'ok');
      rows.push([u.id, u.requests, ok.length, u.tokens, ledger.reduce((s, r) => s + r.promptTokens + r.completionTokens, 0),
        u.spend_micros, ledger.reduce((s, r) => s + r.costMicros, 0)]);
    }
    return rows;
  }

  it('keeps every key working and every counter equal to its ledger after a SIGKILL mid-load and after a clean restart', async () => {
    const first = await start();
    live.push(first);
    const keys: string[] = [];
    for (let u = 0; u < USERS; u++) {
      await adminCall(first.url, 'POST', '/admin/users', { id: `team-${u}`, limits: LIMITS });
      keys.push(((await adminCall(first.url, 'POST', `/admin/users/team-${u}/keys`, {})) as { key: string }).key);
    }

    // Eight clients at once, round the keys, until the process dies under them.
    let done = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let i = w; !stop; i += 8) {
        try {
          const r = await ask(first.url, keys[i % USERS] as string, i);
          await r.arrayBuffer();
          if (r.status === 200) done++;
        } catch {
          return; // the gateway was killed under this request
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    while (done < 120) await new Promise((r) => setTimeout(r, 10));
    await first.stop('SIGKILL');
    stop = true;
    await Promise.all(workers);

    const second = await start();
    live.push(second);
    for (const [i, key] of keys.entries()) {
      const r = await ask(second.url, key, i);
      expect(r.status).toBe(200);
      await r.arrayBuffer();
    }
    const afterKill = await books(second.url);
    expect(afterKill).toHaveLength(USERS);
    for (const [, requests, records, tokens, ledgerTokens, spend, ledgerSpend] of afterKill) {
      expect([requests, tokens, spend]).toEqual([records, ledgerTokens, ledgerSpend]);
    }
    // Every answered request is counted, but for at most one per client: a response can reach its
    // client a moment before the gateway settles it, and a SIGKILL in that moment loses the charge
    // (its reservation is given back at restart, as a crashed replica's would be).
    expect(afterKill.reduce((s, r) => s + r[1], 0)).toBeGreaterThanOrEqual(done - 8 + USERS);
    expect(afterKill.every((r) => r[3] > 0 && r[5] > 0)).toBe(true);

    // A second process on the same directory is refused, and says why.
    const refused = await start().then(() => 'started', (e: Error) => e.message);
    expect(refused).toMatch(new RegExp(`data directory .* is in use by another Tollgate \\(pid ${second.child.pid}`));

    await second.stop('SIGTERM');
    const third = await start();
    live.push(third);
    expect(await books(third.url)).toEqual(afterKill);
  }, 90_000);
});
