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
