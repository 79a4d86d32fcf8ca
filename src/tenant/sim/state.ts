/** The simulated tenant's state: what Get-CsOnlineUser and friends read, as plain data. */
import { z } from 'zod';

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
});
export type SimUser = z.infer<typeof SimUser>;

export const SimSite = z.object({ Identity: z.string(), EdgeFqdn: z.string() });
export type SimSite = z.infer<typeof SimSite>;

export const SimTenantState = z.object({
  tenantId: z.string(),
  domain: z.string(),
  hybrid: z.object({ PeerDestination: z.string().nullable(), UseOnPremDialPlan: z.boolean() }),
  sites: z.array(SimSite),
  users: z.array(SimUser),
});
export type SimTenantState = z.infer<typeof SimTenantState>;

/** The voice routing policies a CCE tenant has; $null reverts to the global policy. */
export const voiceRoutingPolicies = ['InternationalCallsAllowed', 'InternationalCallsDisallowed'] as const;
