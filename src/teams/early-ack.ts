/**
 * A message's inbound POST answered as soon as the bot starts answering it, not after its reply has landed.
 *
 * CloudAdapter answers the channel only when the whole turn is over, awaited replies included
 * (../shared/reference/reliability-notes.md F8): a slow Connector pushes the 200 toward Teams' 15 s re-send,
 * and a channel needs a second connection for every turn in flight, which on Node 20 queue one accept per
 * event-loop iteration (latency-notes.md). A message's 200 carries nothing, so it can go first: the turn
 * acknowledges the message when it sends its first activity. By then the core has decided its answer and
 * written what it keeps (a filed request, an audit entry); a crash after that costs the rest of the chat
 * output, which the person sees is missing, never a second run of the turn's work.
 *
 * Invokes keep the SDK's order (their response is the body), and so does a message that asks for its
 * replies in the response (deliveryMode expectReplies). A turn that sends nothing (a re-sent message
 * already answered) is acknowledged by the adapter at its end, as before.
 */
import type { Response as AdapterResponse, TurnContext } from 'botbuilder';
import type { Response } from 'restify';

export interface EarlyAck {
  /** What CloudAdapter.process writes its answer to: ignored once the message is acknowledged. */
  response: AdapterResponse;
  /** Acknowledges the message before the turn's first send. */
  watch(ctx: TurnContext): void;
}

/** Undefined for anything that must keep the SDK's order (invokes, expectReplies). */
export function earlyAckFor(res: Response, activity: Record<string, unknown>, options: { othersInFlight?: () => boolean } = {}): EarlyAck | undefined {
  if (activity.type !== 'message' || activity.deliveryMode === 'expectReplies') return undefined;
  let answered = false;
  // Once the turn has sent, the channel's answer is a 200 whatever the adapter writes after it (a reply the
  // Connector refused before a deferred 200 went out must not become a 500 that Teams re-sends).
  let sent = false;
  const acknowledge = () => {
    if (answered) return;
    answered = true;
    res.status(200);
    res.end();
  };
  const response: AdapterResponse = {
    socket: res.socket,
    status: (code) => (answered || sent ? undefined : res.status(code)),
    send: (...args) => (answered || sent ? undefined : (res.send as (...a: unknown[]) => unknown)(...args)),
    end: (...args) => {
      if (answered) return undefined;
      if (sent) return acknowledge();
      answered = true;
      return (res.end as (...a: unknown[]) => unknown)(...args);
    },
    header: (name, value) => res.header(name, value),
  };
  return {
    response,
    watch(ctx) {
      ctx.onSendActivities(async (_ctx, _activities, next) => {
        // The only turn in flight writes its 200 just after its reply's POST (about 85 µs in restify that
        // the reply need not wait for): at the end of this iteration, by when the POST has normally been
        // written. With other turns in flight that could be the next iteration, after a long poll phase,
        // and a channel that sends its next message meanwhile opens a new connection: the 200 goes first.
        if (!sent) {
          sent = true;
          if (options.othersInFlight?.() ?? true) acknowledge();
          else setImmediate(acknowledge);
        }
        return next();
      });
    },
  };
}
