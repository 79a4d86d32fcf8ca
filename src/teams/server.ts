/**
 * The HTTP edge: restify on /api/messages with CloudAdapter. In local mode (no MicrosoftAppId) the
 * Bot Framework token check is off exactly as the Emulator expects, so the server only binds loopback.
 */
import type { AddressInfo } from 'node:net';
import {
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
} from 'botbuilder';
import * as restify from 'restify';
import type { Core } from '../app';
import type { ChatOutbox } from '../chat/ports';
import { isLoopback, type Config } from '../config';
import type { Logger } from '../log';
import { SwitchboardBot } from './bot';
import { cacheConnectorClients, cacheUserTokenClients } from './connector-cache';
import { TeamsOutbox } from './outbox';
import { TurnQueue } from './turn-queue';

/** Turns started per event-loop iteration: measured against 1 and 4 in docs/benchmarks.md. */
const turnsPerIteration = 16;

export interface RunningServer {
  url: string;
  port: number;
  core: Core;
  close(): Promise<void>;
}

/** What the edge is handed: a way to build the core once the edge's outbox exists (main.ts composes it). */
export type ComposeCore = (outbox: ChatOutbox) => Promise<Core>;

export async function startServer(config: Config, log: Logger, compose: ComposeCore, overrides: { maintenanceMs?: number; turnsPerIteration?: number } = {}): Promise<RunningServer> {
  if (config.localMode && !isLoopback(config.HOST)) {
    throw new Error(`Refusing to start: authentication is off (MicrosoftAppId is empty) and HOST ${config.HOST} is not a loopback address.`);
  }
  // With no app id the SDK disables authentication; it insists on an id for SingleTenant, so local mode sends no type.
  const authOptions: ConfigurationBotFrameworkAuthenticationOptions = config.localMode
    ? { MicrosoftAppId: '' }
    : { MicrosoftAppId: config.MicrosoftAppId, MicrosoftAppPassword: config.MicrosoftAppPassword, MicrosoftAppType: config.MicrosoftAppType, MicrosoftAppTenantId: config.MicrosoftAppTenantId };
  const auth = new ConfigurationBotFrameworkAuthentication(authOptions);
  cacheConnectorClients();
  cacheUserTokenClients(auth);
  const adapter = new CloudAdapter(auth);
  const core = await compose(new TeamsOutbox(adapter, config.MicrosoftAppId));
  const bot = new SwitchboardBot(core.switchboard, core.store);
  adapter.onTurnError = async (ctx, err) => {
    log.error({ err, activityId: ctx.activity.id }, 'turn failed');
    try {
      await ctx.sendActivity('Something went wrong on my side. Nothing was changed in the tenant.');
    } catch {
      // The channel may be what failed; the error is already logged.
    }
  };

  const server = restify.createServer({ name: 'switchboard', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 512 * 1024, mapParams: false }));
  const queue = new TurnQueue(overrides.turnsPerIteration ?? turnsPerIteration);
  server.post('/api/messages', async (req, res) => {
    await queue.run(() => adapter.process(req, res, (ctx) => bot.run(ctx)));
  });
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { ok: true, backend: core.tenant.backend });
    next();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  if (config.localMode) {
    const line = '!'.repeat(78);
    process.stderr.write(`${line}\n!! LOCAL MODE: Bot Framework authentication is OFF (MicrosoftAppId is empty).\n!! Anyone who reaches ${url} can act as any user. Bound to loopback only.\n${line}\n`);
    log.warn(`LOCAL MODE: Bot Framework authentication is OFF (MicrosoftAppId is empty). Listening on ${url}/api/messages only. Do not expose this port.`);
  } else {
    log.info(`Listening on ${url}/api/messages`);
  }

  await core.maintain();
  const timer = setInterval(() => void core.maintain().catch((err) => log.error({ err }, 'maintenance failed')), overrides.maintenanceMs ?? 30_000);
  timer.unref();

  return {
    url,
    port,
    core,
    async close() {
      clearInterval(timer);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets would hold close() open until they time out.
      server.server.closeAllConnections();
      await closed;
      await core.close();
    },
  };
}
