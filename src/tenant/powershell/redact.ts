/** Secret-looking parameters are shown as [redacted] in records and logs; the value itself still reaches pwsh as data. */
import { renderCall } from '../render';
import type { CmdletCall } from '../cmdlets';

const secretName = /pass(word)?|secret|token|credential|thumbprint|certificate|private.?key|api.?key/i;

export function isSecretParameter(name: string): boolean {
  return secretName.test(name);
}

export function redactParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) out[name] = isSecretParameter(name) && value !== undefined ? '[redacted]' : value;
  return out;
}

/** The display text of a call for `record.command`, secrets redacted. */
export function renderForRecord(cmdlet: string, params: unknown): string {
  const safe = params !== null && typeof params === 'object' ? redactParams(params as Record<string, unknown>) : {};
  return renderCall({ cmdlet, params: safe } as CmdletCall);
}
