/** Starts Switchboard: reads .env if present, validates the configuration, serves /api/messages. */
import fs from 'node:fs';
import { ConfigError, loadConfig } from './config';
import { createLogger } from './log';
import { startServer } from './teams/server';

async function main(): Promise<void> {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const running = await startServer(config, log);
  log.info({ backend: running.core.tenant.backend, dataDir: config.DATA_DIR }, 'Switchboard is ready');
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

void main();
