// Builds a real Tollgate on 127.0.0.1:0 from createApp, with the store a test chooses, and the
// admin calls a test needs to make a user and a key.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app.js';
import { createServer } from '../../src/server/create-server.js';
import { loadConfig, type Config } from '../../src/config/loader.js';
import { createLogger } from '../../src/log/logger.js';
import type { Store } from '../../src/store/types.js';
import { createMetrics } from '../../src/metrics/metrics.js';
import { createCalibration, type Calibration } from '../../src/plan/prompt/calibration.js';
import { createInFlight, type InFlight } from '../../src/core/in-flight.js';
import { createJournal, type Journal } from '../../src/settle/journal.js';
import { createUpstreamClient } from '../../src/upstream/client.js';
import { systemClock, type Clock } from '../../src/core/clock.js';
import { tempDir } from './temp-dir.js';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const UPSTREAM_KEY = 'sk-upstream-secret-test';

export interface TestGateway {
  readonly url: string;
  readonly config: Config;
  readonly store: Store;
  readonly logLines: string[];
  readonly inFlight: InFlight;
  readonly journal: Journal;
  readonly calibration: Calibration;
  admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Creates a user with these limits and returns a fresh key for it. */
  userWithKey(id: string, limits?: Record<string, number | null>): Promise<string>;
  close(): Promise<void>;
}

export interface GatewayOptions {
  readonly upstreamUrl: string;
  readonly store: Store;
  readonly clock?: Clock;
  readonly overrides?: Record<string, unknown>;
  /** More environment (upstreams' keys by `api_key_env`). */
  readonly env?: Record<string, string>;
}

export async function startGateway(o: GatewayOptions): Promise<TestGateway> {
  const config = loadConfig({ UPSTREAM_BASE_URL: o.upstreamUrl, UPSTREAM_API_KEY: UPSTREAM_KEY, TOLLGATE_ADMIN_KEY: ADMIN_KEY, ...o.env },
    process.cwd(), { 'limits': {}, ...o.overrides });
  const logLines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, done) { logLines.push(String(chunk)); done(); } });
  const logger = createLogger('info', sink);
  const upstream = createUpstreamClient(config);
  const journal = createJournal({ file: path.join(tempDir('tollgate-journal'), 'journal.ndjson'), store: o.store, log: logger, replayMs: 200 });
  const inFlight = createInFlight();
  const calibration = createCalibration({ store: o.store, intervalMs: config.metering.calibration_sync_ms });
  const app = createApp({ config, store: o.store, upstream, clock: o.clock ?? systemClock, logger, journal, inFlight, calibration, metrics: createMetrics() });
  const server = createServer(config, app.fetch);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const admin: TestGateway['admin'] = async (method, path, body) => {
    const r = await fetch(url + path, {
      method, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };

  return {
    url, config, store: o.store, logLines, admin, inFlight, journal, calibration,
    async userWithKey(id, limits = {}) {
      const u = await admin('POST', '/admin/users', { id, limits });
      if (u.status !== 201) throw new Error(`create user: ${u.status} ${JSON.stringify(u.json)}`);
      const k = await admin('POST', `/admin/users/${id}/keys`, {});
      if (k.status !== 201) throw new Error(`create key: ${k.status} ${JSON.stringify(k.json)}`);
      return k.json.key as string;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await journal.close();
      calibration.close();
      await upstream.close();
    },
  };
}
