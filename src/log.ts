import { AsyncLocalStorage } from 'node:async_hooks';
import pino from 'pino';

export type Logger = pino.Logger;

/** Fields that every log line written inside `withLogFields` carries: the request id, the turn's activity. */
export type LogFields = Readonly<Record<string, string | number>>;

const context = new AsyncLocalStorage<LogFields>();

/**
 * Runs `work` with `fields` added to every line logged inside it, however deep (the runner, the PowerShell
 * pool, the notifier): a person follows one request by grepping its id, without each caller passing it on.
 */
export function withLogFields<T>(fields: LogFields, work: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, work);
}

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { app: 'switchboard' },
    mixin: () => context.getStore() ?? {},
    redact: ['*.MicrosoftAppPassword', '*.password', '*.TEAMS_CERT_PASSWORD', '*.KEY_STORE_SECRET', '*.AUDIT_KEY', '*.GRAPH_CLIENT_SECRET'],
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything, for tests and benchmarks. */
export const silentLogger: Logger = pino({ level: 'silent' });
