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
  | 'set'
  /** creates an object: repeating it after it landed fails ("already exists"), so it is never retried blindly */
  | 'create';

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
  /** The directory account's Department; the procedure sets it to HybridMediationServer on Mediation Server accounts. */
  Department: z.string().nullish(),
  /** Cloud Connector: the voice routing policy granted to the user (Grant-CsVoiceRoutingPolicy; null: none). */
  VoiceRoutingPolicy: z.string().nullish(),
  /** Direct Routing: the online voice routing policy granted to the user (null: the Global policy). */
  OnlineVoiceRoutingPolicy: z.string().nullish(),
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

export const TenantFederationConfiguration = z.object({
  Identity: z.string(),
  SharedSipAddressSpace: z.boolean(),
});
export type TenantFederationConfiguration = z.infer<typeof TenantFederationConfiguration>;

export const SipDomainStatus = z.enum(['Enabled', 'Disabled']);
export const OnlineSipDomain = z.object({ Name: z.string(), Status: SipDomainStatus });
export type OnlineSipDomain = z.infer<typeof OnlineSipDomain>;

/** Get-CsHybridMediationServer: one Mediation Server's registration; all null until Set-CsHybridMediationServer ran. */
export const HybridMediationServer = z.object({
  Identity: z.string(),
  Fqdn: z.string().nullable(),
  AccessProxyExternalFqdn: z.string().nullable(),
  /** sip:<Mediation Server FQDN>@<SIP domain> once registered. */
  SipAddress: z.string().nullable(),
});
export type HybridMediationServer = z.infer<typeof HybridMediationServer>;

/**
 * Get-MgUser, restricted to what Switchboard reads. Simplified: the real cmdlet returns AssignedLicenses as objects
 * with SkuId, and FeatureTypes is the Teams module's word (Get-CsOnlineUser), carried here so one read shows both.
 */
export const DirectoryUser = z.object({
  Id: z.string(),
  UserPrincipalName: z.string(),
  DisplayName: z.string(),
  Department: z.string().nullable(),
  /** SKU part numbers, e.g. ENTERPRISEPREMIUM (E5). */
  AssignedLicenses: z.array(z.string()),
  FeatureTypes: z.array(z.string()),
});
export type DirectoryUser = z.infer<typeof DirectoryUser>;

/** Get-CsOnlinePSTNGateway: one Direct Routing SBC, restricted to what Switchboard sets and reads. */
export const OnlinePstnGateway = z.object({
  Identity: z.string(),
  Fqdn: z.string(),
  SipSignalingPort: z.number().int(),
  MaxConcurrentSessions: z.number().int().nullish(),
  Enabled: z.boolean(),
});
export type OnlinePstnGateway = z.infer<typeof OnlinePstnGateway>;

/** Get-CsOnlineVoiceRoutingPolicy: Identity reads "Tag:<name>" (Global for the tenant default). */
export const OnlineVoiceRoutingPolicy = z.object({
  Identity: z.string(),
  OnlinePstnUsages: z.array(z.string()).nullish(),
  Description: z.string().nullish(),
});
export type OnlineVoiceRoutingPolicy = z.infer<typeof OnlineVoiceRoutingPolicy>;

/** Get-CsOnlineVoiceRoute: which numbers (a regular expression) go out through which SBCs, for which PSTN usages. */
export const OnlineVoiceRoute = z.object({
  Identity: z.string(),
  NumberPattern: z.string(),
  OnlinePstnGatewayList: z.array(z.string()),
  OnlinePstnUsages: z.array(z.string()),
  Priority: z.number().int(),
});
export type OnlineVoiceRoute = z.infer<typeof OnlineVoiceRoute>;

/** Get-CsOnlinePstnUsage: the tenant's one (Global) list of PSTN usage names. */
export const OnlinePstnUsage = z.object({ Identity: z.string(), Usage: z.array(z.string()) });
export type OnlinePstnUsage = z.infer<typeof OnlinePstnUsage>;

/** A free-text value bound to a string parameter. Length is capped; content is data, never code. */
const Text = z.string().min(1).max(4096);
const NoOutput = z.null();
/** Graph and Entra cap Department at 64 characters. */
const Department = z.string().min(1).max(64);

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
      /** null clears the number (disabling voice). */
      OnPremLineURI: Text.nullable().optional(),
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
  'Set-CsTenantHybridConfiguration': {
    module: 'SkypeForBusiness',
    effect: 'set',
    params: z.strictObject({ PeerDestination: Text.optional(), UseOnPremDialPlan: z.boolean().optional() }),
    output: NoOutput,
  },
  'Get-CsHybridPSTNSite': {
    module: 'SkypeForBusiness',
    effect: 'read',
    params: z.strictObject({ Identity: Text.optional() }),
    output: z.array(HybridPstnSite),
  },
  'Get-CsTenantFederationConfiguration': {
    module: 'MicrosoftTeams',
    effect: 'read',
    params: z.strictObject({}),
    output: z.array(TenantFederationConfiguration),
  },
  'Set-CsTenantFederationConfiguration': {
    module: 'MicrosoftTeams',
    effect: 'set',
    params: z.strictObject({ SharedSipAddressSpace: z.boolean().optional() }),
    output: NoOutput,
  },
  'Get-CsOnlineSipDomain': {
    module: 'MicrosoftTeams',
    effect: 'read',
    params: z.strictObject({ Domain: Text.optional(), DomainStatus: SipDomainStatus.optional() }),
    output: z.array(OnlineSipDomain),
  },
  'Get-CsHybridMediationServer': {
    module: 'SkypeForBusiness',
    effect: 'read',
    /** The display name of the Mediation Server's user account. */
    params: z.strictObject({ Identity: Text }),
    output: z.array(HybridMediationServer),
  },
  'Set-CsHybridMediationServer': {
    module: 'SkypeForBusiness',
    effect: 'set',
    /** Identity is the display name of the Mediation Server's user account, as the CCE procedure says. */
    params: z.strictObject({ Identity: Text, Fqdn: Text, AccessProxyExternalFqdn: Text }),
    output: NoOutput,
  },
  'Set-MsolUser': {
    module: 'MSOnline',
    effect: 'set',
    params: z.strictObject({ UserPrincipalName: Text, Department: Department.optional() }),
    output: NoOutput,
  },
  'Update-MgUser': {
    module: 'Microsoft.Graph.Users',
    effect: 'set',
    /** UserId: the UPN or the object id. */
    params: z.strictObject({ UserId: Text, Department: Department.optional() }),
    output: NoOutput,
  },
  /** Not in cmdlet-signatures.json: the read-back for Update-MgUser / Set-MsolUser (Get-MgUser -UserId). */
  'Get-MgUser': {
    module: 'Microsoft.Graph.Users',
    effect: 'read',
    params: z.strictObject({ UserId: Text }),
    output: z.array(DirectoryUser),
  },
  /** Direct Routing: the SBCs paired with the tenant (not in cmdlet-signatures.json; the read-back for New-CsOnlinePSTNGateway). */
  'Get-CsOnlinePSTNGateway': {
    module: 'MicrosoftTeams',
    effect: 'read',
    params: z.strictObject({ Identity: Text.optional() }),
    output: z.array(OnlinePstnGateway),
  },
  /** Direct Routing: pairs an SBC (the ParentAndRelativeKey set, -Fqdn). Returns the new gateway. */
  'New-CsOnlinePSTNGateway': {
    module: 'MicrosoftTeams',
    effect: 'create',
    params: z.strictObject({
      /** The doc limits the SBC FQDN to 63 characters. */
      Fqdn: z.string().min(1).max(63),
      SipSignalingPort: z.number().int().min(1).max(65535),
      MaxConcurrentSessions: z.number().int().min(1).max(100000).optional(),
      /** Created disabled unless given (the cmdlet's default is $false). */
      Enabled: z.boolean().optional(),
    }),
    output: z.array(OnlinePstnGateway),
  },
  /**
   * Direct Routing: changes a paired SBC; only the settings Switchboard reads back (the doc: -Identity is mandatory
   * when modifying an existing SBC, though the syntax shows it optional). -Enabled $false takes it out of outbound routing.
   */
  'Set-CsOnlinePSTNGateway': {
    module: 'MicrosoftTeams',
    effect: 'set',
    params: z.strictObject({
      Identity: Text,
      SipSignalingPort: z.number().int().min(1).max(65535).optional(),
      MaxConcurrentSessions: z.number().int().min(1).max(100000).optional(),
      Enabled: z.boolean().optional(),
    }),
    output: NoOutput,
  },
  /** Direct Routing: a user's number (the Assignment set). Setting a number sets EnterpriseVoiceEnabled to True. */
  'Set-CsPhoneNumberAssignment': {
    module: 'MicrosoftTeams',
    effect: 'set',
    params: z.strictObject({
      Identity: Text,
      /** E.164 without the tel: prefix; a Direct Routing extension as +14255550100;ext=100. */
      TelephoneNumber: z.string().min(1).max(64),
      NumberType: z.enum(['DirectRouting', 'CallingPlan', 'OperatorConnect']),
    }),
    output: NoOutput,
  },
  /** Not in cmdlet-signatures.json: the policies Grant-CsOnlineVoiceRoutingPolicy may name. */
  'Get-CsOnlineVoiceRoutingPolicy': {
    module: 'MicrosoftTeams',
    effect: 'read',
    params: z.strictObject({ Identity: Text.optional() }),
    output: z.array(OnlineVoiceRoutingPolicy),
  },
  /** Not in cmdlet-signatures.json: the read-back for Set-CsOnlinePstnUsage. */
  'Get-CsOnlinePstnUsage': {
    module: 'MicrosoftTeams',
    effect: 'read',
    params: z.strictObject({}),
    output: z.array(OnlinePstnUsage),
  },
  /** There is no New-CsOnlinePstnUsage: usages are added to the one Global list (-Usage @{Add=...}). */
  'Set-CsOnlinePstnUsage': {
    module: 'MicrosoftTeams',
    effect: 'set',
    params: z.strictObject({ Identity: z.literal('Global'), Usage: z.strictObject({ Add: z.array(z.string().min(1).max(128)).min(1).max(20) }) }),
    output: NoOutput,
  },
  /** Not in cmdlet-signatures.json: the read-back for New-CsOnlineVoiceRoute. */
  'Get-CsOnlineVoiceRoute': {
    module: 'MicrosoftTeams',
    effect: 'read',
    params: z.strictObject({ Identity: Text.optional() }),
    output: z.array(OnlineVoiceRoute),
  },
  'New-CsOnlineVoiceRoute': {
    module: 'MicrosoftTeams',
    effect: 'create',
    params: z.strictObject({
      Identity: z.string().min(1).max(128),
      NumberPattern: z.string().min(1).max(512),
      OnlinePstnGatewayList: z.array(z.string().min(1).max(63)).min(1).max(20),
      OnlinePstnUsages: z.array(z.string().min(1).max(128)).min(1).max(20),
      Priority: z.number().int().min(0).max(10000).optional(),
    }),
    output: z.array(OnlineVoiceRoute),
  },
  'New-CsOnlineVoiceRoutingPolicy': {
    module: 'MicrosoftTeams',
    effect: 'create',
    params: z.strictObject({ Identity: z.string().min(1).max(128), OnlinePstnUsages: z.array(z.string().min(1).max(128)).min(1).max(20), Description: Text.optional() }),
    output: z.array(OnlineVoiceRoutingPolicy),
  },
  /** Direct Routing's successor of Grant-CsVoiceRoutingPolicy; PolicyName $null reverts the user to Global. */
  'Grant-CsOnlineVoiceRoutingPolicy': {
    module: 'MicrosoftTeams',
    effect: 'set',
    params: z.strictObject({ Identity: Text, PolicyName: Text.nullable() }),
    output: NoOutput,
  },
} as const satisfies Record<string, { module: string; effect: CmdletEffect; params: z.ZodType; output: z.ZodType }>;

export type CmdletName = keyof typeof cmdlets;
export type CmdletParams<N extends CmdletName> = z.infer<(typeof cmdlets)[N]['params']>;
export type CmdletOutput<N extends CmdletName> = z.infer<(typeof cmdlets)[N]['output']>;

export const cmdletNames = Object.keys(cmdlets) as CmdletName[];

/** The allow-listed cmdlets that the given PowerShell modules provide (e.g. a host without MSOnline has no Set-MsolUser). */
export function cmdletsInModules(modules: readonly string[]): CmdletName[] {
  return cmdletNames.filter((name) => modules.includes(cmdlets[name].module));
}

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
