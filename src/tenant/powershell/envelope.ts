/** Reads the JSON envelope a script printed between its markers. Anything else is a doubt about the session. */
import { z } from 'zod';

export const PwshError = z.object({
  message: z.string(),
  errorId: z.string().nullish(),
  category: z.string().nullish(),
  exception: z.string().nullish(),
  others: z.array(z.string()).nullish(),
});
export type PwshError = z.infer<typeof PwshError>;

const Envelope = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), output: z.array(z.unknown()) }),
  z.object({ ok: z.literal(false), error: PwshError }),
]);
export type Envelope = z.infer<typeof Envelope>;

export class UnparsableOutput extends Error {}

export function readEnvelope(stdout: string, marker: string): Envelope {
  const start = stdout.indexOf(marker);
  const end = start < 0 ? -1 : stdout.indexOf(marker, start + marker.length);
  if (start < 0 || end < 0) throw new UnparsableOutput(`no result between markers in PowerShell output (${stdout.length} characters)`);
  return parseEnvelope(stdout.slice(start + marker.length, end), '');
}

/** One envelope from its JSON text; `where` names it in the error ("" for a script's own, " for call 2"). */
function parseEnvelope(text: string, where: string): Envelope {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UnparsableOutput(`PowerShell printed invalid JSON${where}: ${(err as Error).message}`);
  }
  const parsed = Envelope.safeParse(json);
  if (!parsed.success) throw new UnparsableOutput(`PowerShell printed an unexpected result shape${where}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/**
 * The calls' envelopes a batch script printed as its output, each as JSON text: exactly `count` of them, each an
 * envelope. Anything else is a doubt about the session, as for one call.
 */
export function readBatchEnvelopes(output: readonly unknown[], count: number): Envelope[] {
  if (output.length !== count) throw new UnparsableOutput(`PowerShell returned ${output.length} results for ${count} calls`);
  return output.map((text, i) => {
    if (typeof text !== 'string') throw new UnparsableOutput(`PowerShell returned a result for call ${i + 1} that is not an envelope`);
    return parseEnvelope(text, ` for call ${i + 1}`);
  });
}
