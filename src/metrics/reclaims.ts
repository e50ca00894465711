// What an operator sees of a reclaimed reservation: one log line naming the request, and a count.
// A reclaim means a gateway never settled what it reserved (it crashed, or lost the store at the
// wrong moment): the count should stay at zero while nothing crashes.
import type { Logger } from 'pino';
import type { OnReclaim } from '../store/types.js';
import type { Metrics } from './metrics.js';

export function reportReclaims(logger: Logger, metrics: Metrics): OnReclaim {
  return function reclaimed(userId, requestIds) {
    metrics.reclaimed(requestIds.length);
    for (const requestId of requestIds) {
      logger.warn({ userId, reservationId: requestId }, 'reservation reclaimed by expiry: released uncharged, its gateway never settled it');
    }
  };
}
