/**
 * Child-process entry for bench/turn-latency.ts: the real Switchboard server (src/teams/server.ts) in
 * local mode on 127.0.0.1, simulated tenant, silent logger, DATA_DIR from BENCH_DATA_DIR (a temp dir the
 * parent creates and removes), maintenance every 30 s as in production.
 *
 * What a channel would never let through is taken out of the way, since the echo and raw bots have none of
 * it and the load generator sends far faster than Teams delivers: the per-user and per-tenant inbound
 * limits (20 messages a minute per user) and the outbound limits Switchboard keeps to for Teams (7
 * messages a second per conversation, 50 calls a second per app). A closed loop in one conversation asks
 * for hundreds of replies a second, so with them in place the limits, not the bot, set the latency.
 */
import { loadConfig } from '../../src/config';
import { silentLogger } from '../../src/log';
import { startSwitchboard as startServer } from '../../src/main';
import { outboundThrottle, teamsOutboundLimits } from '../../src/teams/outbox';
import { serveAsChild } from './child';

serveAsChild('switchboard', async () => {
  const dataDir = process.env.BENCH_DATA_DIR;
  if (!dataDir) throw new Error('BENCH_DATA_DIR is not set');
  const config = loadConfig({
    PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, TENANT_BACKEND: 'sim', LOG_LEVEL: 'silent',
    RATE_USER_MESSAGES_PER_MINUTE: '100000', RATE_USER_INVOKES_PER_MINUTE: '100000', RATE_TENANT_PER_MINUTE: '1000000', OUTBOUND_APP_PER_SECOND: '10000',
  });
  const server = await startServer(config, silentLogger, { maintenanceMs: 30_000 });
  outboundThrottle.configure({ ...teamsOutboundLimits, conversation: [{ count: 1_000_000, windowMs: 1000 }], appPerSecond: 1_000_000 });
  return { url: server.url, close: () => server.close() };
});
