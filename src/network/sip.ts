/**
 * SIP OPTIONS: the request the bot sends to a gateway (RFC 3261 section 11, a keep-alive every SBC answers)
 * and the parsing of what comes back. Only what a reachability check needs: one request, its final response.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';

export interface OptionsMessage {
  text: string;
  callId: string;
}

export function buildOptions(args: { target: string; port: number; transport: 'tcp' | 'tls'; localAddress: string; localPort: number }): OptionsMessage {
  const branch = `z9hG4bK${randomBytes(8).toString('hex')}`;
  const tag = randomBytes(4).toString('hex');
  const callId = `${randomBytes(10).toString('hex')}@switchboard`;
  const via = args.transport === 'tls' ? 'TLS' : 'TCP';
  const local = args.localAddress.includes(':') ? `[${args.localAddress}]` : args.localAddress;
  const text = [
    `OPTIONS sip:${args.target}:${args.port};transport=${args.transport} SIP/2.0`,
    `Via: SIP/2.0/${via} ${local}:${args.localPort};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:switchboard@${local}>;tag=${tag}`,
    `To: <sip:${args.target}>`,
    `Call-ID: ${callId}`,
    'CSeq: 1 OPTIONS',
    `Contact: <sip:switchboard@${local}:${args.localPort};transport=${args.transport}>`,
    'Accept: application/sdp',
    'User-Agent: Switchboard readiness check',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return { text, callId };
}

const StatusLine = z
  .string()
  .regex(/^SIP\/2\.0 [1-6]\d\d( .*)?$/)
  .transform((line) => ({ line, code: Number(line.slice(8, 11)), reason: line.slice(12).trim() }));

export interface ParsedResponse {
  statusLine: string;
  code: number;
  reason: string;
  headers: Map<string, string>;
}

/**
 * Takes complete messages off the front of `buffer` (header block plus Content-Length body). Returns the
 * messages and what is left. Throws on something that is not a SIP response.
 */
export function takeResponses(buffer: string): { messages: ParsedResponse[]; rest: string } {
  const messages: ParsedResponse[] = [];
  let rest = buffer.replace(/^(\r\n)+/, '');
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const lines = rest.slice(0, end).split('\r\n');
    const status = StatusLine.safeParse(lines[0]);
    if (!status.success) throw new Error(`not a SIP response: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const colon = l.indexOf(':');
      if (colon > 0) headers.set(compactHeader(l.slice(0, colon).trim().toLowerCase()), l.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? '0');
    if (!Number.isFinite(length) || length < 0) throw new Error('bad Content-Length in SIP response');
    if (rest.length < end + 4 + length) break;
    rest = rest.slice(end + 4 + length).replace(/^(\r\n)+/, '');
    messages.push({ statusLine: status.data.line, code: status.data.code, reason: status.data.reason, headers });
  }
  return { messages, rest };
}

/** RFC 3261 compact header forms the check reads. */
function compactHeader(name: string): string {
  return ({ i: 'call-id', l: 'content-length', v: 'via', f: 'from', t: 'to' } as Record<string, string>)[name] ?? name;
}
