/**
 * `npm run chat`: talk to a local-mode Switchboard from the terminal, as a Teams user with an Entra
 * identity (the Bot Framework Emulator sends none, so Switchboard would refuse it). Plays the channel on
 * 127.0.0.1 and prints replies and cards as text. Commands are typed as in Teams; card buttons are:
 *   /approve R-XXXXXXXX      /reject R-XXXXXXXX <reason>
 *   /submit <action> key=value ...   (a form card, e.g. /submit enable-voice user=bob.kelly@contoso.com number=+14255550100)
 *   /as <aad-object-id> <name>       (switch identity, e.g. to an approver)
 */
import fs from 'node:fs';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { LocalConnector, post, teamsActivity, type ConnectorCall, type HttpUser } from './local-channel';

function portSetting(): string {
  if (process.env.PORT) return process.env.PORT;
  try {
    const line = /^PORT=(\d+)\s*$/m.exec(fs.readFileSync('.env', 'utf8'));
    if (line) return line[1]!;
  } catch {
    // No .env: the default port.
  }
  return '3978';
}

const { values } = parseArgs({
  options: {
    // The bot's own PORT setting, as `npm start` reads it (from the environment or .env).
    bot: { type: 'string', default: `http://127.0.0.1:${portSetting()}` },
    as: { type: 'string', default: '11111111-1111-4111-8111-111111111111' },
    name: { type: 'string', default: 'Local Operator' },
  },
});

function cardLines(card: unknown): string[] {
  const lines: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (o.type === 'TextBlock' && typeof o.text === 'string') lines.push(`  ${o.text}`);
    if (o.type === 'FactSet' && Array.isArray(o.facts)) for (const f of o.facts as { title: string; value: string }[]) lines.push(`    ${f.title}: ${f.value}`);
    if (o.type === 'Action.Execute') lines.push(`  [${String(o.title)}] ${JSON.stringify({ verb: o.verb, ...(o.data as object) })}`);
    for (const [k, v] of Object.entries(o)) if (k !== 'fallback') walk(v);
  };
  walk(card);
  return lines;
}

/** Whose 1:1 chat each conversation is, to label what arrives in someone else's. */
const chatOwners = new Map<string, string>();

function show(call: ConnectorCall, current: string): void {
  const tag = call.method === 'PUT' ? `(card ${call.activityId} updated)` : '';
  const where = call.conversationId === current ? '' : `[in ${chatOwners.get(call.conversationId) ?? call.conversationId}'s chat] `;
  if (call.body.text) console.log(`${where}bot> ${call.body.text} ${tag}`);
  else if (where) console.log(`${where}bot> (card) ${tag}`);
  if (!where) for (const a of call.body.attachments ?? []) console.log(cardLines(a.content).join('\n'));
}

async function main(): Promise<void> {
  const channel = new LocalConnector();
  await channel.start();
  let user: HttpUser = { aadObjectId: values.as!, name: values.name!, mri: `29:${values.as}` };
  let printed = 0;
  const flush = () => {
    while (printed < channel.calls.length) show(channel.calls[printed++]!, `a:local-chat-${user.aadObjectId}`);
  };
  setInterval(flush, 100).unref();
  console.log(`Talking to ${values.bot} as ${user.name} (${user.aadObjectId}). Type help; Ctrl-D to quit.`);
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' });
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    const [cmd, ...rest] = text.split(/\s+/);
    let activity: Record<string, unknown> | undefined;
    // Each identity has its own 1:1 conversation, as in Teams: an approver's card arrives once, in their chat.
    const conversationId = `a:local-chat-${user.aadObjectId}`;
    chatOwners.set(conversationId, user.name);
    const invoke = (verb: string, data: Record<string, string>) => teamsActivity(channel.url, user, conversationId, { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb, data } } });
    if (cmd === '/as' && rest[0]) {
      user = { aadObjectId: rest[0], name: rest.slice(1).join(' ') || rest[0], mri: `29:${rest[0]}` };
      console.log(`Now ${user.name} (${user.aadObjectId}).`);
    } else if (cmd === '/approve' && rest[0]) activity = invoke('approve', { requestId: rest[0] });
    else if (cmd === '/reject' && rest[0]) activity = invoke('reject', { requestId: rest[0], reason: rest.slice(1).join(' ') });
    else if (cmd === '/submit' && rest[0]) activity = invoke('submitRequest', { action: rest[0], ...Object.fromEntries(rest.slice(1).map((kv) => [kv.split('=')[0]!, kv.split('=').slice(1).join('=')])) });
    else if (text) activity = teamsActivity(channel.url, user, conversationId, { type: 'message', text });
    if (activity) {
      try {
        const res = await post(values.bot!, activity);
        if (activity.type === 'invoke') {
          const body = res.body as { value?: unknown } | undefined;
          if (typeof body?.value === 'string') console.log(`bot> ${body.value}`);
          else console.log(cardLines(body?.value).join('\n'));
        }
        await new Promise((r) => setTimeout(r, 300));
        flush();
      } catch (err) {
        console.log(`(could not reach ${values.bot}: ${(err as Error).message})`);
      }
    }
    rl.prompt();
  }
  await channel.stop();
  process.exit(0);
}

void main();
