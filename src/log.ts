import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { app: 'switchboard' }, redact: ['*.MicrosoftAppPassword', '*.password', '*.TEAMS_CERT_PASSWORD', '*.KEY_STORE_SECRET', '*.AUDIT_KEY'] });
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });
