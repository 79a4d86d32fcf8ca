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
import { createCore, type Core } from '../app';
import type { Clock } from '../clock';
import { isLoopback, type Config } from '../config';
import type { Logger } from '../log';
import { mountLocalAndOperations } from '../playground/operations';
import type { TenantPort } from '../tenant/port';
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

export async function startServer(config: Config, log: Logger, overrides: { clock?: Clock; tenant?: TenantPort; maintenanceMs?: number; turnsPerIteration?: number } = {}): Promise<RunningServer> {
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
  const core = await createCore({ config, outbox: new TeamsOutbox(adapter, config.MicrosoftAppId), log, ...overrides });
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
  // /readyz, the shutdown drain, and in local mode the playground with its local Connector endpoints.
  let url = '';
  const extras = mountLocalAndOperations(server, { config, store: core.store, tenant: core.tenant, log, selfUrl: () => url });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  if (config.localMode) {
    const line = '!'.repeat(78);
    process.stderr.write(`${line}\n!! LOCAL MODE: Bot Framework authentication is OFF (MicrosoftAppId is empty).\n!! Anyone who reaches ${url} can act as any user. Bound to loopback only.\n${line}\n`);
    log.warn(`LOCAL MODE: Bot Framework authentication is OFF (MicrosoftAppId is empty). Listening on ${url}/api/messages only. Do not expose this port.`);
    extras.announce(url);
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
      // New turns get 503 while those in flight finish; then running executions finish and post their
      // card updates (still listening, so the local Connector gets them), and only then the port closes.
      await extras.drain();
      // A click schedules its run on the next turn of the event loop, after its answer went out.
      await new Promise((resolve) => setImmediate(resolve));
      await core.executor.idle();
      extras.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets would hold close() open until they time out.
      server.server.closeAllConnections();
      await closed;
      await core.close();
    },
  };
}
