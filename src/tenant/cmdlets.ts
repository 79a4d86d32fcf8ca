/**
 * The allow-list of cmdlets Switchboard may run against a tenant, with their parameters and output
 * shapes. Names and parameter types follow ../shared/reference/cmdlet-signatures.json. Every backend
 * (simulated, PowerShell, PowerShell stand-in) implements exactly this list, nothing more.
 */
import { z } from 'zod';

/** What running a cmdlet does to the tenant; drives whether a transient failure may be retried blindly. */
export type CmdletEffect =
  /** reads only: always safe to repeat */
  | 'read'
  /** sets properties to given values: repeating it lands in the same state */
  | 'set';

/** Get-CsOnlineUser's output, restricted to what Switchboard reads. Unknown properties are stripped. */
export const OnlineUser = z.object({
  Identity: z.string(),
  UserPrincipalName: z.string(),
  SipAddress: z.string().nullish(),
  DisplayName: z.string(),
  Alias: z.string().nullish(),
  AccountEnabled: z.boolean().nullish(),
  EnterpriseVoiceEnabled: z.boolean().nullish(),
  /** Dropped from the output by MicrosoftTeams 3.0.0 and later: absent means "not reported". */
  HostedVoiceMail: z.boolean().nullish(),
  /** Dropped from the output by MicrosoftTeams 3.0.0 and later: absent means "not reported". */
  VoicePolicy: z.string().nullish(),
  OnPremLineURI: z.string().nullish(),
  LineURI: z.string().nullish(),
  FeatureTypes: z.array(z.string()).nullish(),
});
export type OnlineUser = z.infer<typeof OnlineUser>;

export const UserPstnSettings = z.object({
  Identity: z.string(),
  HybridPSTNSite: z.string().nullish(),
  AllowInternationalCalls: z.boolean().nullish(),
});
export type UserPstnSettings = z.infer<typeof UserPstnSettings>;

export const TenantHybridConfiguration = z.object({
  Identity: z.string(),
  PeerDestination: z.string().nullish(),
  UseOnPremDialPlan: z.boolean().nullish(),
  HybridPSTNSites: z.array(z.string()).nullish(),
});
export type TenantHybridConfiguration = z.infer<typeof TenantHybridConfiguration>;

export const HybridPstnSite = z.object({
  Identity: z.string(),
  EdgeFqdn: z.string().nullish(),
});
export type HybridPstnSite = z.infer<typeof HybridPstnSite>;

/** A free-text value bound to a string parameter. Length is capped; content is data, never code. */
const Text = z.string().min(1).max(4096);
const NoOutput = z.null();

export const cmdlets = {
  'Get-CsOnlineUser': {
    module: 'MicrosoftTeams',
    effect: 'read',
    params: z.strictObject({ Identity: Text.optional(), Filter: Text.optional(), ResultSize: z.number().int().min(0).max(2147483647).optional() }),
    output: z.array(OnlineUser),
  },
  'Set-CsUser': {
    module: 'MicrosoftTeams',
    effect: 'set',
    params: z.strictObject({
      Identity: Text,
      EnterpriseVoiceEnabled: z.boolean().optional(),
      HostedVoiceMail: z.boolean().optional(),
      OnPremLineURI: Text.optional(),
    }),
    output: NoOutput,
  },
  'Get-CsUserPstnSettings': {
    module: 'SkypeForBusiness',
    effect: 'read',
    params: z.strictObject({ Identity: Text }),
    output: z.array(UserPstnSettings),
  },
  'Set-CsUserPstnSettings': {
    module: 'SkypeForBusiness',
    effect: 'set',
    params: z.strictObject({ Identity: Text, HybridPSTNSite: Text.nullable().optional(), AllowInternationalCalls: z.boolean().optional() }),
    output: NoOutput,
  },
  'Grant-CsVoiceRoutingPolicy': {
    module: 'SkypeForBusiness',
    effect: 'set',
    params: z.strictObject({ Identity: Text, PolicyName: Text.nullable() }),
    output: NoOutput,
  },
  'Get-CsTenantHybridConfiguration': {
    module: 'SkypeForBusiness',
    effect: 'read',
    params: z.strictObject({}),
    output: z.array(TenantHybridConfiguration),
  },
  'Get-CsHybridPSTNSite': {
    module: 'SkypeForBusiness',
    effect: 'read',
    params: z.strictObject({ Identity: Text.optional() }),
    output: z.array(HybridPstnSite),
  },
} as const satisfies Record<string, { module: string; effect: CmdletEffect; params: z.ZodType; output: z.ZodType }>;

export type CmdletName = keyof typeof cmdlets;
export type CmdletParams<N extends CmdletName> = z.infer<(typeof cmdlets)[N]['params']>;
export type CmdletOutput<N extends CmdletName> = z.infer<(typeof cmdlets)[N]['output']>;

export function isCmdletName(name: string): name is CmdletName {
  return Object.prototype.hasOwnProperty.call(cmdlets, name);
}

/** One cmdlet invocation with its bound parameters, as data. */
export interface CmdletCall<N extends CmdletName = CmdletName> {
  cmdlet: N;
  params: CmdletParams<N>;
}

export function call<N extends CmdletName>(cmdlet: N, params: CmdletParams<N>): CmdletCall<N> {
  return { cmdlet, params };
}

/**
 * Re-validates a stored call (from an approved plan) against the allow-list before it runs: the name
 * must be listed and the parameters must pass that cmdlet's schema.
 */
export function parseCall(stored: { cmdlet: string; params: Record<string, unknown> }): CmdletCall {
  if (!isCmdletName(stored.cmdlet)) throw new Error(`Cmdlet ${stored.cmdlet} is not on the allow-list.`);
  const params = cmdlets[stored.cmdlet].params.parse(stored.params) as CmdletParams<CmdletName>;
  return { cmdlet: stored.cmdlet, params };
}
