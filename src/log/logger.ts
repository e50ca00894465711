// Structured JSON logs (pino). Keys, authorization headers and upstream credentials are redacted
// wherever they appear in a logged object.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export function createLogger(level: LevelWithSilent, destination?: NodeJS.WritableStream): Logger {
  const options = {
    level,
    base: { service: 'tollgate' },
    redact: {
      paths: ['key', '*.key', 'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
        'apiKey', '*.apiKey', 'api_key', '*.api_key', 'upstream.api_key', 'admin_key'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** The logger a request's code uses: every line carries the request id. */
export interface RequestLog {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  isLevelEnabled(level: LevelWithSilent): boolean;
}

/**
 * Lines tagged with the request id, written by the root logger: one small object per request. A
 * pino child per request would compile its bindings (and redaction) for every request, logged or not.
 */
class TaggedLog implements RequestLog {
  constructor(private readonly base: Logger, private readonly requestId: string, private readonly reservationId?: string) {}
  private write(level: 'debug' | 'info' | 'warn' | 'error', obj: object, msg?: string): void {
    if (!this.base.isLevelEnabled(level)) return;
    const ids = this.reservationId === undefined ? { requestId: this.requestId } : { requestId: this.requestId, reservationId: this.reservationId };
    this.base[level]({ ...ids, ...obj }, msg);
  }
  debug(obj: object, msg?: string): void { this.write('debug', obj, msg); }
  info(obj: object, msg?: string): void { this.write('info', obj, msg); }
  warn(obj: object, msg?: string): void { this.write('warn', obj, msg); }
  error(obj: object, msg?: string): void { this.write('error', obj, msg); }
  isLevelEnabled(level: LevelWithSilent): boolean { return this.base.isLevelEnabled(level); }
}

/** `reservationId`: the id the store keys the request's reservation by, when it is not the request id. */
export const requestLog = (base: Logger, requestId: string, reservationId?: string): RequestLog =>
  new TaggedLog(base, requestId, reservationId);
