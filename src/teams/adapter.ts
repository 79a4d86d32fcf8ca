/**
 * CloudAdapter, handed the activity the edge already admitted.
 *
 * CloudAdapter.process re-checks its request, its response and the body with zod on every turn (the body
 * as a record twice: about 2 % of the bot's CPU at 50 conversations in the turn-latency profile,
 * docs/benchmarks.md, stop 16). By then edge.ts has refused anything that is not one whole JSON activity
 * from an authenticated channel, so this does what process does after its checks, and only that: the
 * activity's timestamps made Dates (the SDK's validateAndFixActivity), processActivity with the
 * Authorization header (which, with authentication on, still goes through VerifiedChannelAuthentication),
 * and the invoke response, or a 200, written to the response.
 */
import { CloudAdapter, StatusCodes, type Activity, type Response as AdapterResponse, type TurnContext } from 'botbuilder';
import { validateAndFixActivity } from 'botbuilder/lib/activityValidator';
import { AuthenticationError } from 'botframework-connector';

export class SwitchboardAdapter extends CloudAdapter {
  /** Runs `logic` for an admitted activity and answers the channel on `res`; never throws. */
  async processAdmitted(
    authorization: string,
    activity: Record<string, unknown>,
    res: AdapterResponse,
    logic: (ctx: TurnContext) => Promise<void>,
    onError: (err: unknown) => void,
  ): Promise<void> {
    const end = (status: number, body?: unknown) => {
      res.status(status);
      if (body !== undefined && body !== null) res.send(body);
      res.end();
    };
    try {
      const invokeResponse = await this.processActivity(authorization, validateAndFixActivity(activity as unknown as Activity), logic);
      end(invokeResponse?.status ?? StatusCodes.OK, invokeResponse?.body);
    } catch (err) {
      onError(err);
      // As process answers: 401 for a refused token, otherwise 500 with the message (one line, no stack).
      end(err instanceof AuthenticationError ? StatusCodes.UNAUTHORIZED : StatusCodes.INTERNAL_SERVER_ERROR, err instanceof Error ? err.message : String(err));
    }
  }
}
