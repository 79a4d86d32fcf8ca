/**
 * Child-process entry for bench/turn-latency.ts: the real Switchboard server (src/teams/server.ts) in
 * local mode on 127.0.0.1, simulated tenant, silent logger, DATA_DIR from BENCH_DATA_DIR (a temp dir the
 * parent creates and removes), maintenance every 30 s as in production. The app-wide outbound limit is
 * raised from Teams' 50 calls a second: the echo and raw bots have none, and at 50 conversations a
 * closed loop asks for more than 50 replies a second, so the limit, not the bot, would set the latency.
 */
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import { serveAsChild } from './child';

serveAsChild('switchboard', async () => {
  const dataDir = process.env.BENCH_DATA_DIR;
  if (!dataDir) throw new Error('BENCH_DATA_DIR is not set');
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, TENANT_BACKEND: 'sim', LOG_LEVEL: 'silent', OUTBOUND_APP_PER_SECOND: '10000' });
  const server = await startServer(config, silentLogger, { maintenanceMs: 30_000 });
  return { url: server.url, close: () => server.close() };
});
