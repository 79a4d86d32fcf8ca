/**
 * The HTTP edge: restify on /api/messages with CloudAdapter (adapter.ts). In local mode (no MicrosoftAppId) the
 * Bot Framework token check is off exactly as the Emulator expects, so the server only binds loopback.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  ConfigurationBotFrameworkAuthentication,
  type ConfigurationBotFrameworkAuthenticationOptions,
} from 'botbuilder';
import type { ServiceClientCredentialsFactory } from 'botframework-connector';
import * as restify from 'restify';
import type { Core } from '../app';
import type { ChatOutbox } from '../model/people';
import { isLoopback, type Config } from '../config';
import type { Logger } from '../log';
import { mountLocalAndOperations } from '../playground/operations';
import { reapOrphans } from '../tenant/powershell/orphans';
import { SwitchboardAdapter } from './adapter';
import { SwitchboardBot } from './bot';
import { cacheConnectorClients, cacheUserTokenClients } from './connector-cache';
import { outboundThrottle, teamsOutboundLimits, TeamsOutbox } from './outbox';
import { TurnQueue } from './turn-queue';
import { earlyAckFor } from './early-ack';
import { ChannelAuthenticator, VerifiedChannelAuthentication } from './auth';
import { answerInChat, Edge } from './edge';
import { jsonBody } from './json-body';
import { warmUpCards } from '../cards/render';

/** Turns started per event-loop iteration: measured against 1 and 4 in docs/benchmarks.md. */
const turnsPerIteration = 16;
/** For this long after a connection is accepted, one turn starts per iteration, so the next is accepted soon. */
const connectingMs = 100;

export interface RunningServer {
  url: string;
  port: number;
  core: Core;
  close(): Promise<void>;
}

/** What the edge is handed: a way to build the core once the edge's outbox exists (main.ts composes it). */
export type ComposeCore = (outbox: ChatOutbox) => Promise<Core>;

export interface EdgeOverrides {
  maintenanceMs?: number;
  turnsPerIteration?: number;
  credentialsFactory?: ServiceClientCredentialsFactory;
}

export async function startServer(config: Config, log: Logger, compose: ComposeCore, overrides: EdgeOverrides = {}): Promise<RunningServer> {
  if (config.localMode && !isLoopback(config.HOST)) {
    throw new Error(`Refusing to start: authentication is off (MicrosoftAppId is empty) and HOST ${config.HOST} is not a loopback address.`);
  }
  // With no app id the SDK disables authentication; it insists on an id for SingleTenant, so local mode sends no type.
  const authOptions: ConfigurationBotFrameworkAuthenticationOptions = config.localMode
    ? { MicrosoftAppId: '' }
    : { MicrosoftAppId: config.MicrosoftAppId, MicrosoftAppPassword: config.MicrosoftAppPassword, MicrosoftAppType: config.MicrosoftAppType, MicrosoftAppTenantId: config.MicrosoftAppTenantId };
  const inner = new ConfigurationBotFrameworkAuthentication(authOptions, overrides.credentialsFactory);
  outboundThrottle.configure({ ...teamsOutboundLimits, appPerSecond: config.OUTBOUND_APP_PER_SECOND });
  cacheConnectorClients();
  cacheUserTokenClients(inner);
  // With authentication on, the token is verified in front of the adapter (bounded, one-line refusals) and
  // the adapter only accepts activities the edge vouched for.
  const verified = config.localMode ? undefined : new VerifiedChannelAuthentication(inner);
  const authenticator = config.localMode ? undefined : new ChannelAuthenticator({ appId: config.MicrosoftAppId, openIdMetadataUrl: config.BOT_OPENID_METADATA_URL });
  const adapter = new SwitchboardAdapter(verified ?? inner);
  // A pwsh left by a previous bot process could finish an old command after recovery reads the tenant back.
  const orphans = await reapOrphans(path.resolve(config.DATA_DIR));
  if (orphans.reaped.length > 0) log.warn({ pids: orphans.reaped }, 'killed PowerShell sessions a previous Switchboard process left running');
  if (orphans.survivors.length > 0) throw new Error(`Refusing to start: PowerShell processes ${orphans.survivors.join(', ')} of a previous Switchboard process would not die.`);
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
  server.use(jsonBody({ maxBytes: 512 * 1024 }));
  const queue = new TurnQueue({ perIteration: overrides.turnsPerIteration ?? turnsPerIteration, connectingMs });
  server.server.on('connection', () => queue.connectionAccepted());
  const edge = new Edge({
    log,
    limits: { userMessagesPerMinute: config.RATE_USER_MESSAGES_PER_MINUTE, userInvokesPerMinute: config.RATE_USER_INVOKES_PER_MINUTE, tenantPerMinute: config.RATE_TENANT_PER_MINUTE },
    ...(authenticator && verified ? { authenticator, vouch: (activity: object, claims: Record<string, unknown>) => verified.vouch(activity, claims) } : {}),
  });
  server.post('/api/messages', async (req, res) => {
    const admission = await edge.admit(req);
    if (!admission.ok) {
      // A JSON string, as CloudAdapter's own answers are: one line, nothing internal.
      res.send(admission.status, admission.message);
      return;
    }
    const limited = admission.limited;
    const early = earlyAckFor(res, admission.activity, { othersInFlight: () => queue.inFlight > 1 });
    const authorization = req.headers.authorization ?? '';
    await queue.run(() => adapter.processAdmitted(authorization, admission.activity, early?.response ?? res, (ctx) => {
      early?.watch(ctx);
      return limited ? answerInChat(ctx, limited) : bot.run(ctx);
    }, (err) => log.error({ err, activityId: admission.activity.id }, 'activity not processed')));
  });
  server.get('/healthz', (_req, res, next) => {
    res.send(200, { ok: true, backend: core.tenant.backend });
    next();
  });
  // One-time links to a gateway's PFX (cert import, cert issue). Opening the link shows a button, and only
  // the button's POST spends the token: a link preview or a mail scanner fetching the URL spends nothing.
  server.get('/download/*', (_req, res, next) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': "default-src 'none'; form-action 'self'" });
    res.end('<!doctype html><meta charset="utf-8"><title>Switchboard download</title><p>This link downloads a file once.</p><form method="post"><button type="submit">Download</button></form>');
    next();
  });
  server.post('/download/*', async (req, res) => {
    const answer = await core.certificates.download(req.url ?? '');
    res.writeHead(answer.status, { ...answer.headers, 'Referrer-Policy': 'no-referrer' });
    res.end(answer.body);
  });
  // /readyz, the shutdown drain, and in local mode the playground with its local Connector endpoints.
  let url = '';
  const extras = mountLocalAndOperations(server, { config, store: core.store, tenant: core.tenant, log, selfUrl: () => url });

  warmUpCards();
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
    core.certificates.listeningAt(url);
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
      await core.switchboard.idle();
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
