/**
 * The baseline for bench/turn-latency.ts: a stock botbuilder echo bot on the same stack as Switchboard
 * (CloudAdapter + ConfigurationBotFrameworkAuthentication with an empty app id + restify), one text reply
 * per message, and none of Switchboard's fixes (no TurnQueue, no ConnectorClient cache). Listens on
 * 127.0.0.1 only, as authentication is off.
 *
 * Started by the benchmark as a child process; by hand: npx tsx bench/echo-bot.ts (PORT, default any free port).
 */
import type { AddressInfo } from 'node:net';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, MessageFactory } from 'botbuilder';
import * as restify from 'restify';
import { serveAsChild, type RunningBot } from './lib/child';

const echoPrefix = 'Echo: ';

class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(MessageFactory.text(`${echoPrefix}${context.activity.text ?? ''}`));
      await next();
    });
  }
}

export async function startEchoBot(port = 0): Promise<RunningBot> {
  const auth = new ConfigurationBotFrameworkAuthentication({ MicrosoftAppId: '' });
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context, error) => {
    process.stderr.write(`echo bot turn error: ${String(error)}\n`);
    await context.sendActivity('The bot encountered an error.');
  };
  const bot = new EchoBot();

  const server = restify.createServer();
  server.use(restify.plugins.bodyParser());
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeAllConnections();
      await closed;
    },
  };
}

if (require.main === module) serveAsChild('echo-bot', () => startEchoBot(Number(process.env.PORT ?? 0)));
