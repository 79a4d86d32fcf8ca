/**
 * add sbc: pairs a Direct Routing Session Border Controller with the tenant, for tenants that moved on
 * from Cloud Connector (../shared/reference/cce-and-cmdlets.md 4.1: the gateways' trunks to the CCE
 * Mediation Servers become SBCs paired online):
 *   New-CsOnlinePSTNGateway -Fqdn <SBC FQDN> -SipSignalingPort <port> -MaxConcurrentSessions <n> -Enabled $true
 * and reads it back with Get-CsOnlinePSTNGateway. The SBC's domain must be one the tenant has registered.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import type { OnlinePstnGateway } from '../../tenant/cmdlets';
import { TenantError } from '../../tenant/port';
import { defineCommand, type ChangeCommand, type ReadContext } from '../command';
import { blank, Fqdn, planChanges, psText } from '../fields';
import { callStep, makePlan } from '../plans';

/** The SBC's SIP (TLS) signaling port, as typed. */
export const Port = z.coerce
  .number({ error: 'The SIP signaling port is a whole number from 1 to 65535, e.g. 5067.' })
  .int('The SIP signaling port is a whole number from 1 to 65535, e.g. 5067.')
  .min(1, 'The SIP signaling port is a whole number from 1 to 65535, e.g. 5067.')
  .max(65535, 'The SIP signaling port is a whole number from 1 to 65535, e.g. 5067.');

/** An SBC's session limit (used by Direct Routing's alerting), as typed. */
export const Sessions = z.coerce
  .number({ error: 'Concurrent sessions is a whole number from 1 to 100000.' })
  .int('Concurrent sessions is a whole number from 1 to 100000.')
  .min(1, 'Concurrent sessions is a whole number from 1 to 100000.')
  .max(100000, 'Concurrent sessions is a whole number from 1 to 100000.');

const Input = z.object({
  // New-CsOnlinePSTNGateway limits the SBC FQDN to 63 characters.
  fqdn: Fqdn.pipe(z.string().max(63, 'Direct Routing takes an SBC FQDN of at most 63 characters.')),
  port: Port,
  sessions: z.preprocess(blank, Sessions.optional()),
});
type Input = z.infer<typeof Input>;

/** The SBC as the tenant has it now, or undefined when it is not paired. */
export async function readSbc(ctx: Pick<ReadContext, 'tenant'>, fqdn: string): Promise<OnlinePstnGateway | undefined> {
  try {
    return (await ctx.tenant.run('Get-CsOnlinePSTNGateway', { Identity: fqdn })).output[0];
  } catch (err) {
    if (err instanceof TenantError && err.kind === 'not-found') return undefined;
    throw err;
  }
}

/** What add sbc and set sbc change and read back: an SBC's port, session limit and Enabled (null when not paired). */
export const observeSbc: ChangeCommand<{ fqdn: string }>['observe'] = async (ctx, input) => {
  const sbc = await readSbc(ctx, input.fqdn);
  return { SipSignalingPort: sbc?.SipSignalingPort ?? null, MaxConcurrentSessions: sbc?.MaxConcurrentSessions ?? null, Enabled: sbc?.Enabled ?? null };
};

/** "port 5067, enabled, max sessions 100", as the refusals say it. */
export const sbcSettings = (sbc: OnlinePstnGateway): string => `port ${sbc.SipSignalingPort}, ${sbc.Enabled ? 'enabled' : 'disabled'}, max sessions ${psText(sbc.MaxConcurrentSessions ?? null)}`;

export const addSbc = defineCommand<Input>({
  id: 'add-sbc',
  kind: 'change',
  title: 'Pair an SBC (Direct Routing)',
  summary: 'Pair a Direct Routing Session Border Controller with the tenant (New-CsOnlinePSTNGateway), enabled.',
  usage: 'add sbc <SBC FQDN> port <SIP TLS port> [sessions <max concurrent sessions>]',
  examples: ['add sbc sbc1.contoso.com port 5067 sessions 100', 'add SBC sbc2.contoso.com port 5061', 'pair sbc sbc1.contoso.com', 'add sbc'],
  patterns: [/^(?:add|pair)\s+(?:an?\s+)?(?:direct\s+routing\s+)?(?:sbc|session\s+border\s+controller)(?:\s+(?<fqdn>(?!port\b|sessions?\b)\S+))?(?:\s+(?:on\s+)?(?:sip\s+)?port\s+(?<port>\S+))?(?:\s+(?:max(?:imum)?\s+)?(?:concurrent\s+)?sessions\s+(?<sessions>\S+))?$/i],
  input: Input,
  required: ['fqdn', 'port'],
  formCard: 'add-sbc-form',
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 60_000,

  async formData(_ctx, input) {
    // 5067 is the port of Microsoft's own example; the SBC's TLS listener decides.
    return { fqdn: input.fqdn ?? '', port: String(input.port ?? 5067), sessions: input.sessions === undefined ? '' : String(input.sessions) };
  },

  observe: observeSbc,

  async plan(ctx, input) {
    const existing = await readSbc(ctx, input.fqdn);
    if (existing) {
      const same = existing.SipSignalingPort === input.port && existing.Enabled && (input.sessions === undefined || existing.MaxConcurrentSessions === input.sessions);
      if (same) throw new Refusal('nothing-to-change', `${existing.Fqdn} is already paired, enabled, on port ${existing.SipSignalingPort}: nothing to do.`);
      throw new Refusal('invalid-input', `${existing.Fqdn} is already paired (${sbcSettings(existing)}); change it with "set sbc ${existing.Fqdn} …" (Set-CsOnlinePSTNGateway).`);
    }
    const domain = input.fqdn.slice(input.fqdn.indexOf('.') + 1);
    const domains = (await ctx.tenant.run('Get-CsOnlineSipDomain', {})).output;
    if (/\.onmicrosoft\.com$/i.test(domain)) throw new Refusal('invalid-input', `${input.fqdn} is under ${domain}: Direct Routing does not pair SBCs under *.onmicrosoft.com; use a domain of your own.`);
    if (!domains.some((d) => d.Name.toLowerCase() === domain)) {
      throw new Refusal('invalid-input', `${input.fqdn} is under ${domain}, which is not a domain of this tenant (${domains.map((d) => d.Name).join(', ') || 'none'}): add and verify it in the Microsoft 365 admin center first.`);
    }
    const subject = `sbc:${input.fqdn}`;
    const wanted: Record<string, unknown> = { SipSignalingPort: input.port, Enabled: true, ...(input.sessions !== undefined ? { MaxConcurrentSessions: input.sessions } : {}) };
    const { changes, expectations } = planChanges(await observeSbc(ctx, input, subject), wanted);
    return makePlan({
      target: `SBC ${input.fqdn}`,
      subject,
      changes,
      expectations,
      // Not safe to repeat: a second New- fails with "already exists"; after an interruption the read-back decides.
      steps: [callStep('New-CsOnlinePSTNGateway', { Fqdn: input.fqdn, SipSignalingPort: input.port, ...(input.sessions !== undefined ? { MaxConcurrentSessions: input.sessions } : {}), Enabled: true }, { title: `Pair SBC ${input.fqdn}`, repeatSafe: false })],
      notes: [
        `The SBC must offer TLS on ${input.port} with a certificate for ${input.fqdn} from a CA Microsoft trusts, and reach Microsoft's SIP proxies (sip.pstnhub.microsoft.com and its pairs); Direct Routing sends SIP OPTIONS to it once paired.`,
        'Users reach this SBC through an online voice routing policy whose PSTN usages have a voice route to it (show direct routing).',
      ],
    });
  },
});
