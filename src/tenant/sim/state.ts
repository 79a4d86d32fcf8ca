/** The simulated tenant's state: what Get-CsOnlineUser and friends read, as plain data. */
import { z } from 'zod';

/**
 * One directory account. Entra (Get-MgUser) sees every account at once; Skype for Business Online
 * (Get-CsOnlineUser and the other Cs cmdlets) sees it only once it has synced (see `syncAt`).
 */
export const SimUser = z.object({
  Identity: z.string(),
  UserPrincipalName: z.string(),
  SipAddress: z.string(),
  DisplayName: z.string(),
  Alias: z.string(),
  AccountEnabled: z.boolean(),
  /** SKU features the user is licensed for, e.g. PhoneSystem (E5, or E3 + Phone System add-on). */
  Licenses: z.array(z.string()),
  EnterpriseVoiceEnabled: z.boolean(),
  HostedVoiceMail: z.boolean(),
  OnPremLineURI: z.string().nullable(),
  HybridPSTNSite: z.string().nullable(),
  AllowInternationalCalls: z.boolean(),
  VoiceRoutingPolicy: z.string().nullable(),
  /** Entra Department (Set-MsolUser / Update-MgUser). */
  Department: z.string().nullish(),
  /** SKU part numbers (Get-MgUser); absent: derived from Licenses (see skusOf). */
  AssignedLicenses: z.array(z.string()).optional(),
  /**
   * ISO time the account reaches Skype for Business Online; absent = already synced. It appears there only if it
   * is licensed when that time has come (the procedure licenses the Mediation Server account for this).
   */
  syncAt: z.string().optional(),
  /** Set-CsHybridMediationServer's registration of this (Mediation Server) account. */
  MediationServerFqdn: z.string().nullish(),
  AccessProxyExternalFqdn: z.string().nullish(),
  /** Direct Routing: how the number was assigned (Set-CsPhoneNumberAssignment -NumberType); absent for a CCE OnPremLineURI. */
  NumberType: z.string().nullish(),
  /** Direct Routing: the granted online voice routing policy's name; null or absent is the Global policy. */
  OnlineVoiceRoutingPolicy: z.string().nullish(),
});
export type SimUser = z.infer<typeof SimUser>;

export const SimSite = z.object({ Identity: z.string(), EdgeFqdn: z.string() });
export type SimSite = z.infer<typeof SimSite>;

export const SimSipDomain = z.object({ Name: z.string(), Status: z.enum(['Enabled', 'Disabled']) });
export type SimSipDomain = z.infer<typeof SimSipDomain>;

/** A Direct Routing SBC (New-CsOnlinePSTNGateway). */
export const SimPstnGateway = z.object({ Fqdn: z.string(), SipSignalingPort: z.number().int(), MaxConcurrentSessions: z.number().int().nullable(), Enabled: z.boolean() });
export type SimPstnGateway = z.infer<typeof SimPstnGateway>;

/** An online voice routing policy: its name (Identity "Tag:<name>") and the PSTN usages it allows. */
export const SimOnlineVoiceRoutingPolicy = z.object({ Name: z.string(), OnlinePstnUsages: z.array(z.string()), Description: z.string().nullable() });
export type SimOnlineVoiceRoutingPolicy = z.infer<typeof SimOnlineVoiceRoutingPolicy>;

/** An online voice route (New-CsOnlineVoiceRoute). */
export const SimOnlineVoiceRoute = z.object({ Name: z.string(), NumberPattern: z.string(), OnlinePstnGatewayList: z.array(z.string()), OnlinePstnUsages: z.array(z.string()), Priority: z.number().int() });
export type SimOnlineVoiceRoute = z.infer<typeof SimOnlineVoiceRoute>;

/** The tenant's Direct Routing configuration; a tenant from before it has none. */
export const SimDirectRouting = z.object({
  gateways: z.array(SimPstnGateway).default([]),
  /** The Global list of PSTN usage names (Set-CsOnlinePstnUsage). */
  pstnUsages: z.array(z.string()).default([]),
  voiceRoutes: z.array(SimOnlineVoiceRoute).default([]),
  voiceRoutingPolicies: z.array(SimOnlineVoiceRoutingPolicy).default([]),
});
export type SimDirectRouting = z.infer<typeof SimDirectRouting>;

export const SimTenantState = z.object({
  tenantId: z.string(),
  domain: z.string(),
  hybrid: z.object({ PeerDestination: z.string().nullable(), UseOnPremDialPlan: z.boolean() }),
  federation: z.object({ SharedSipAddressSpace: z.boolean() }).default({ SharedSipAddressSpace: false }),
  sipDomains: z.array(SimSipDomain).default([]),
  sites: z.array(SimSite),
  users: z.array(SimUser),
  directRouting: SimDirectRouting.default({ gateways: [], pstnUsages: [], voiceRoutes: [], voiceRoutingPolicies: [] }),
});
export type SimTenantState = z.infer<typeof SimTenantState>;

/** The voice routing policies a CCE tenant has; $null reverts to the global policy. */
export const voiceRoutingPolicies = ['InternationalCallsAllowed', 'InternationalCallsDisallowed'] as const;

/** The Department the procedure sets on a Mediation Server's account before Set-CsHybridMediationServer. */
export const mediationServerDepartment = 'HybridMediationServer';

/** What each SKU (part number) licenses, as Get-CsOnlineUser's FeatureTypes names it. */
export const skuFeatures: Record<string, readonly string[]> = {
  ENTERPRISEPREMIUM: ['Teams', 'PhoneSystem'],
  ENTERPRISEPACK: ['Teams'],
  MCOEV: ['PhoneSystem'],
  MCOMEETADV: ['AudioConferencing'],
};

export function featuresOf(skus: readonly string[]): string[] {
  const features: string[] = [];
  for (const sku of skus) for (const f of skuFeatures[sku] ?? []) if (!features.includes(f)) features.push(f);
  return features;
}

/** The account's SKUs; older states carry only feature types, so E5 stands for Phone System and E3 for Teams alone. */
export function skusOf(u: SimUser): string[] {
  if (u.AssignedLicenses) return u.AssignedLicenses;
  if (u.Licenses.includes('PhoneSystem')) return ['ENTERPRISEPREMIUM'];
  return u.Licenses.length > 0 ? ['ENTERPRISEPACK'] : [];
}

/** Whether Skype for Business Online sees the account at `now`: synced already, or due and licensed. */
export function isSynced(u: SimUser, now: Date): boolean {
  if (u.syncAt === undefined) return true;
  return Date.parse(u.syncAt) <= now.getTime() && skusOf(u).length > 0;
}

/** A new account as the directory creates it: not voice-enabled, no number, no site, no Department. */
export function newSimUser(account: { Identity: string; UserPrincipalName: string; DisplayName: string; Alias: string; Licenses: string[]; AssignedLicenses?: string[] }): SimUser {
  return {
    ...account,
    SipAddress: `sip:${account.UserPrincipalName}`,
    AccountEnabled: true,
    EnterpriseVoiceEnabled: false,
    HostedVoiceMail: false,
    OnPremLineURI: null,
    HybridPSTNSite: null,
    AllowInternationalCalls: true,
    VoiceRoutingPolicy: null,
    Department: null,
  };
}
