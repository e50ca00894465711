// Notices a store that lost its data: a Redis without persistence forgets every counter, key and
// reservation when it restarts. The store's marker (Store.epoch) is made once and kept with the
// data; a gateway that finds it gone or changed says so in its log and on /readyz.
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Store } from './types.js';

export interface EpochWatch {
  /** Reads the marker (making it when there is none); when the store was seen emptied, or null. */
  check(): Promise<{ readonly emptiedAt: number | null }>;
}

export function createEpochWatch(store: Store, logger: Logger, clock: Clock): EpochWatch {
  let seen: string | null = null;
  let emptiedAt: number | null = null;
  return {
    async check() {
      const epoch = await store.epoch();
      if (seen === null && epoch.created) {
        logger.warn({ store: store.kind }, 'store looks freshly emptied (no Tollgate marker): a first start, or it lost its data; '
          + 'counters, users and keys start from nothing. Redis needs persistence (appendonly yes) to keep them');
      } else if (seen !== null && epoch.id !== seen) {
        emptiedAt = clock.now();
        logger.error({ store: store.kind }, 'store was emptied while this gateway ran (its marker is gone): a restart without persistence '
          + 'or a flush; every counter, user, key and reservation it held is lost');
      }
      seen = epoch.id;
      return { emptiedAt };
    },
  };
}
