/**
 * set sbc: changes a paired Direct Routing SBC: takes it out of outbound routing for maintenance and back
 * (Enabled), or moves its SIP port or session limit:
 *   Set-CsOnlinePSTNGateway -Identity <SBC FQDN> [-Enabled $true|$false] [-SipSignalingPort <port>] [-MaxConcurrentSessions <n>]
 * Only what changes is sent, and read back with Get-CsOnlinePSTNGateway.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import type { OnlinePstnGateway } from '../../tenant/cmdlets';
import { defineCommand, type ReadContext } from '../command';
import { blank, Fqdn, planChanges } from '../fields';
import { callStep, makePlan } from '../plans';
import { observeSbc, Port, readSbc, sbcSettings, Sessions } from './add-sbc';

/** "enable", "enabled", "on" and the like, as typed or chosen on the form; "keep" (or nothing) leaves it. */
const State = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    const word = v.trim().toLowerCase();
    if (word === '' || word === 'keep') return undefined;
    if (['enable', 'enabled', 'on', 'in service'].includes(word)) return 'enabled';
    if (['disable', 'disabled', 'off', 'out of service'].includes(word)) return 'disabled';
    return word;
  },
  z.enum(['enabled', 'disabled'], { error: 'An SBC is either enabled or disabled (for outbound calls).' }).optional(),
);

const Input = z.object({
  fqdn: Fqdn,
  state: State,
  port: z.preprocess(blank, Port.optional()),
  sessions: z.preprocess(blank, Sessions.optional()),
});
type Input = z.infer<typeof Input>;

async function pairedSbc(ctx: Pick<ReadContext, 'tenant'>, fqdn: string): Promise<OnlinePstnGateway> {
  const sbc = await readSbc(ctx, fqdn);
  if (sbc) return sbc;
  const paired = (await ctx.tenant.run('Get-CsOnlinePSTNGateway', {})).output.map((g) => g.Fqdn);
  throw new Refusal('invalid-input', `${fqdn} is not paired with this tenant (paired: ${paired.join(', ') || 'none'}); pair it with "add sbc ${fqdn} port <port>".`);
}

export const setSbc = defineCommand<Input>({
  id: 'set-sbc',
  kind: 'change',
  title: 'Change an SBC (Direct Routing)',
  summary: 'Enable or disable a paired SBC for outbound calls, or change its SIP port or session limit (Set-CsOnlinePSTNGateway).',
  usage: 'set sbc <SBC FQDN> [enabled|disabled] [port <SIP TLS port>] [sessions <max concurrent sessions>]',
  examples: ['disable sbc sbc1.contoso.com', 'enable sbc sbc1.contoso.com', 'set sbc sbc1.contoso.com port 5068 sessions 200', 'set sbc'],
  patterns: [
    /^(?<state>enable|disable)\s+(?:the\s+)?(?:direct\s+routing\s+)?(?:sbc|session\s+border\s+controller)(?:\s+(?<fqdn>\S+))?$/i,
    /^(?:set|change|update)\s+(?:the\s+)?(?:direct\s+routing\s+)?(?:sbc|session\s+border\s+controller)(?:\s+(?<fqdn>(?!port\b|sessions?\b|enabled?\b|disabled?\b)\S+))?(?:\s+(?:to\s+)?(?<state>enabled|disabled))?(?:\s+(?:on\s+)?(?:sip\s+)?port\s+(?<port>\S+))?(?:\s+(?:max(?:imum)?\s+)?(?:concurrent\s+)?sessions\s+(?<sessions>\S+))?$/i,
  ],
  input: Input,
  required: ['fqdn'],
  formCard: 'set-sbc-form',
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const sbc = input.fqdn ? await readSbc(ctx, input.fqdn).catch(() => undefined) : undefined;
    const paired = (await ctx.tenant.run('Get-CsOnlinePSTNGateway', {})).output;
    return {
      fqdn: input.fqdn ?? (paired.length === 1 ? paired[0]!.Fqdn : ''),
      paired: paired.length ? `Paired: ${paired.map((g) => `${g.Fqdn} (${sbcSettings(g)})`).join('; ')}.` : 'No SBC is paired yet: add one with "add sbc".',
      state: input.state ?? 'keep',
      port: input.port === undefined ? (sbc ? String(sbc.SipSignalingPort) : '') : String(input.port),
      sessions: input.sessions === undefined ? (sbc?.MaxConcurrentSessions ? String(sbc.MaxConcurrentSessions) : '') : String(input.sessions),
    };
  },

  observe: observeSbc,

  async plan(ctx, input) {
    const sbc = await pairedSbc(ctx, input.fqdn);
    const wanted: Record<string, unknown> = {
      ...(input.state ? { Enabled: input.state === 'enabled' } : {}),
      ...(input.port !== undefined ? { SipSignalingPort: input.port } : {}),
      ...(input.sessions !== undefined ? { MaxConcurrentSessions: input.sessions } : {}),
    };
    if (Object.keys(wanted).length === 0) {
      throw new Refusal('missing-input', `Say what to change on ${sbc.Fqdn} (now ${sbcSettings(sbc)}): enabled or disabled, port <n> or sessions <n>, e.g. "disable sbc ${sbc.Fqdn}".`);
    }
    const subject = `sbc:${sbc.Fqdn.toLowerCase()}`;
    const { changes, expectations } = planChanges(await observeSbc(ctx, input, subject), wanted);
    if (changes.length === 0) throw new Refusal('nothing-to-change', `${sbc.Fqdn} is already ${sbcSettings(sbc)}: nothing to do.`);
    const params = Object.fromEntries(changes.map((c) => [c.property, wanted[c.property]]));
    const notes: string[] = [];
    if (wanted.Enabled === false && sbc.Enabled) {
      // A real tenant keeps the FQDN as it was typed: compared without case.
      const self = sbc.Fqdn.toLowerCase();
      const routes = (await ctx.tenant.run('Get-CsOnlineVoiceRoute', {})).output.filter((r) => r.OnlinePstnGatewayList.some((g) => g.toLowerCase() === self));
      const gateways = new Map((await ctx.tenant.run('Get-CsOnlinePSTNGateway', {})).output.map((g) => [g.Fqdn.toLowerCase(), g]));
      const stranded = routes.filter((r) => !r.OnlinePstnGatewayList.some((g) => g.toLowerCase() !== self && gateways.get(g.toLowerCase())?.Enabled));
      notes.push(
        stranded.length
          ? `Outbound calls on ${stranded.map((r) => r.Identity).join(', ')} have no other enabled SBC: they fail from the moment this runs until ${sbc.Fqdn} (or another SBC on ${stranded.length === 1 ? 'that route' : 'those routes'}) is enabled.`
          : routes.length
            ? `Outbound calls on ${routes.map((r) => r.Identity).join(', ')} go through ${routes.length === 1 ? 'its' : 'their'} other enabled SBCs meanwhile.`
            : `No voice route goes through ${sbc.Fqdn}.`,
        'Disabled, the SBC still takes inbound calls and its SIP OPTIONS are still answered; enable it again with "enable sbc".',
      );
    }
    if (params.SipSignalingPort !== undefined) notes.push(`The SBC must offer TLS on ${String(params.SipSignalingPort)} before this runs: Microsoft's SIP proxies signal to that port from then on.`);
    return makePlan({
      target: `SBC ${sbc.Fqdn}`,
      subject,
      changes,
      expectations,
      // Set to given values: repeating it lands in the same state.
      steps: [callStep('Set-CsOnlinePSTNGateway', { Identity: sbc.Fqdn, ...params }, { title: `Change SBC ${sbc.Fqdn}`, repeatSafe: true })],
      notes,
    });
  },
});
