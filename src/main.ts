/**
 * Starts Switchboard: reads .env if present, validates the configuration, composes the core and hands
 * it to the Teams edge, which serves /api/messages.
 */
import fs from 'node:fs';
import { createCore } from './app';
import type { Clock } from './clock';
import { ConfigError, loadConfig, type Config } from './config';
import { limitHeapGrowth } from './heap';
import { tierUpSooner } from './jit';
import { createLogger, type Logger } from './log';
import { configureNetworkRuntime } from './network/runtime';
import { startServer, type EdgeOverrides, type RunningServer } from './teams/server';
import type { TenantPort } from './tenant/port';

/** The whole application on the Teams edge (also what the HTTP tests and benchmarks start). */
export function startSwitchboard(config: Config, log: Logger, overrides: EdgeOverrides & { clock?: Clock; tenant?: TenantPort } = {}): Promise<RunningServer> {
  const { clock, tenant, ...edge } = overrides;
  limitHeapGrowth(config.HEAP_GROWTH_PERCENT);
  tierUpSooner(config.JIT_TIER_UP_FACTOR);
  return startServer(config, log, (outbox) => createCore({ config, outbox, log, ...(clock ? { clock } : {}), ...(tenant ? { tenant } : {}) }), edge);
}

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
  let running: RunningServer;
  try {
    // The network checks' files (inventory, CA, client certificate) are refused at start, not at first use.
    configureNetworkRuntime(config);
    running = await startSwitchboard(config, log);
  } catch (err) {
    // A refusal to start (orphaned PowerShell that will not die, a port in use) is one line, not a stack.
    console.error(`Switchboard did not start: ${(err as Error).message}`);
    process.exit(1);
  }
  log.info({ backend: running.core.tenant.backend, dataDir: config.DATA_DIR }, 'Switchboard is ready');
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

if (require.main === module) void main();
