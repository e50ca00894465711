// The composition root: load config, build the real dependencies, serve, drain on SIGTERM.
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { createKeyUseRecorder } from './auth/key-use.js';
import { ConfigError, loadConfig, type Config } from './config/loader.js';
import { createDeliverer } from './events/deliverer.js';
import { createLogger, flushLogger } from './log/logger.js';
import { createMetrics } from './metrics/metrics.js';
import { reportReclaims } from './metrics/reclaims.js';
import { createCalibration } from './plan/prompt/calibration.js';
import { preloadEncoding } from './plan/prompt/count-tokens.js';
import { createInFlight } from './core/in-flight.js';
import { createJournal } from './settle/journal.js';
import { createServer } from './server/create-server.js';
import { createStore, type StoreHooks } from './store/create-store.js';
import { DataDirError } from './store/durable/data-dir.js';
import { createEpochWatch } from './store/epoch-watch.js';
import type { Store } from './store/types.js';
import type { Logger } from 'pino';
import { createUpstreamClient } from './upstream/client.js';
import { systemClock } from './core/clock.js';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`tollgate: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

function storeOrExit(config: Config, logger: Logger, hooks: StoreHooks): Store {
  try {
    return createStore(config, logger, hooks);
  } catch (e) {
    if (e instanceof DataDirError) {
      process.stderr.write(`tollgate: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

/** Gives the store a moment to connect before the first request; serving starts either way. */
async function waitForStore(store: Store, logger: Logger): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      await store.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  logger.warn('store not reachable at start: serving by the fail mode until it is');
}

async function start(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.log_level);
  const metrics = createMetrics({ defaultMetrics: true });
  const store = storeOrExit(config, logger, { onReclaim: reportReclaims(logger, metrics) });
  const upstream = createUpstreamClient(config);
  const journal = createJournal({ file: config.journal.file, store, log: logger, replayMs: config.journal.replay_ms });
  const inFlight = createInFlight();
  if (!config.upstream.api_key) logger.warn('no UPSTREAM_API_KEY: requests go upstream without credentials');
  if (!config.admin_key) logger.warn('no TOLLGATE_ADMIN_KEY: the admin API is disabled');

  await waitForStore(store, logger);
  preloadEncoding('o200k_base');
  const epochWatch = createEpochWatch(store, logger, systemClock);
  await epochWatch.check().catch(() => undefined); // says at start when the store looks freshly emptied
  const calibration = createCalibration({ store, intervalMs: config.metering.calibration_sync_ms,
    onError: (err) => logger.debug({ err: (err as Error).message }, 'prompt calibration not synced') });
  // Webhooks are delivered from the outbox off the request path, by every replica (each delivery by one).
  const deliverer = createDeliverer({ outbox: store.outbox, webhooks: config.webhooks, settings: config.webhook_delivery, clock: systemClock, logger });
  await deliverer.start();
  const keyUse = createKeyUseRecorder({ store, clock: systemClock, flushMs: config.auth.key_use_flush_ms,
    onError: (err) => logger.debug({ err: (err as Error).message }, 'key last-use times not written yet') });
  const app = createApp({ config, store, upstream, clock: systemClock, logger, journal, inFlight, calibration, metrics, epochWatch, keyUse });
  const server = createServer(config, app.fetch);
  server.listen(config.server.port, config.server.host, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ host: config.server.host, port, upstream: config.upstream.base_url, enforcement: config.enforcement, failMode: config.fail_mode }, 'tollgate listening');
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, requests: inFlight.requests }, 'draining: no new connections, finishing requests in flight');
    server.close();
    server.closeIdleConnections();
    const deadline = new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), config.shutdown.drain_ms).unref());
    const drained = await Promise.race([inFlight.idle().then(() => 'idle' as const), deadline]);
    if (drained === 'deadline') logger.warn({ requests: inFlight.requests }, 'drain deadline passed: closing what is left');
    server.closeAllConnections();
    await journal.replay().catch(() => undefined);
    await journal.close();
    await calibration.sync();
    calibration.close();
    await deliverer.stop();
    await keyUse.close().catch(() => undefined);
    await upstream.close();
    await store.close().catch(() => undefined);
    logger.info({ journalBacklog: journal.backlog }, 'stopped');
    await flushLogger(logger);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

void start();
