// What createApp is built from, and the per-request variables handlers share through Hono.
import type { HttpBindings } from '@hono/node-server';
import type { Logger } from 'pino';
import type { RequestLog } from './log/logger.js';
import type { KeyUseRecorder } from './auth/key-use.js';
import type { Principal, PrincipalResolver, ServiceCaller } from './auth/principals.js';
import type { Config } from './config/loader.js';
import type { Metrics } from './metrics/metrics.js';
import type { Provider } from './providers/provider.js';
import type { Calibration } from './plan/prompt/calibration.js';
import type { InFlight } from './core/in-flight.js';
import type { Journal } from './settle/journal.js';
import type { EpochWatch } from './store/epoch-watch.js';
import type { Store } from './store/types.js';
import type { UpstreamClient } from './upstream/client.js';
import type { Clock } from './core/clock.js';

export interface Deps {
  readonly config: Config;
  readonly store: Store;
  readonly upstream: UpstreamClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly journal: Journal;
  readonly inFlight: InFlight;
  readonly metrics: Metrics;
  /** How each model's provider counts prompts against our count (shared through the store). */
  readonly calibration: Calibration;
  /** Notices a store that lost its data; made from the store when not given. */
  readonly epochWatch?: EpochWatch;
  /** Notes when keys are used and writes it in batches; made from the store when not given (main closes its own). */
  readonly keyUse?: KeyUseRecorder;
}

export interface AppVariables {
  requestId: string;
  log: RequestLog;
  principal: Principal;
  /** A service key whose end user is named in the body (set only until the body is read). */
  service: ServiceCaller;
  /** Who speaks the route's wire format: its errors take that provider's shape. */
  provider: Provider;
}

export interface AppEnv {
  Bindings: HttpBindings;
  Variables: AppVariables;
}

export interface AppContext extends Deps {
  readonly principals: PrincipalResolver;
  readonly keyUse: KeyUseRecorder;
}
