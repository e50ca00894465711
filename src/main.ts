// The composition root: load config, build the real dependencies, serve, drain on SIGTERM.
import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/loader.js';
import { createLogger } from './log/logger.js';
import { createStore } from './store/create-store.js';
import { createUpstreamClient } from './upstream/client.js';
import { systemClock } from './util/clock.js';

function start(): void {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`tollgate: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.log_level);
  const store = createStore(config, logger);
  const upstream = createUpstreamClient(config);
  if (!config.upstream.api_key) logger.warn('no UPSTREAM_API_KEY: requests go upstream without credentials');
  if (!config.admin_key) logger.warn('no TOLLGATE_ADMIN_KEY: the admin API is disabled');

  const app = createApp({ config, store, upstream, clock: systemClock, logger });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: config.server.host }) as Server;
  server.listen(config.server.port, config.server.host, () => {
    const { port } = server.address() as AddressInfo;
    logger.info({ host: config.server.host, port, upstream: config.upstream.base_url, enforcement: config.enforcement }, 'tollgate listening');
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining: no new connections, waiting for requests in flight');
    server.close(async () => {
      await upstream.close();
      await store.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

start();
