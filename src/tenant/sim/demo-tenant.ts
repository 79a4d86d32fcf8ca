/**
 * Tenants for the simulated backend: the contoso.com demo tenant, and a generator that makes tenants
 * of any size for tests and benchmarks. Deterministic: the same seed gives the same tenant.
 */
import { newSimUser, type SimTenantState, type SimUser } from './state';

const firstNames = ['Adele', 'Alex', 'Allan', 'Diego', 'Grady', 'Henrietta', 'Isaiah', 'Johanna', 'Joni', 'Lee', 'Lidia', 'Lynne', 'Megan', 'Miriam', 'Nestor', 'Patti', 'Pradeep', 'Christie', 'Debra', 'Emily', 'Irvin', 'Jun', 'Sakura', 'Zrinka', 'Enrico', 'Amira', 'Olga', 'Tomás', 'Priya', 'Kenji'];
const lastNames = ['Vance', 'Wilber', 'Deyoung', 'Siciliani', 'Archie', 'Mueller', 'Langer', 'Lauer', 'Sherman', 'Gu', 'Holloway', 'Robbins', 'Bowen', 'Caldwell', 'Wilke', 'Fernandez', 'Gupta', 'Cline', 'Berry', 'Braun', 'Sayers', 'Ito', 'Tanaka', 'Makovac', 'Rossi', 'Haddad', 'Petrova', 'García', 'Nair', 'Sato'];

/** A tiny deterministic PRNG (mulberry32) so generated tenants are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hexDigits = '0123456789abcdef';

function guid(rand: () => number): string {
  // 32 draws, one hex digit each (the same draws as ever, so a seed keeps giving the same tenant), without arrays.
  let hex = '';
  for (let i = 0; i < 32; i++) hex += hexDigits[Math.floor(rand() * 16)];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function user(rand: () => number, domain: string, displayName: string, alias: string, licensed: boolean): SimUser {
  return newSimUser({ Identity: guid(rand), UserPrincipalName: `${alias}@${domain}`, DisplayName: displayName, Alias: alias, Licenses: licensed ? ['Teams', 'PhoneSystem'] : ['Teams'] });
}

export interface GenerateOptions {
  users: number;
  domain?: string;
  seed?: number;
  /** Share of generated users licensed for Phone System (0..1). */
  licensedShare?: number;
}

/** A hybrid tenant (PeerDestination set, sites Seattle and Amsterdam) with `users` generated users. */
export function generateTenant(options: GenerateOptions): SimTenantState {
  const domain = options.domain ?? 'contoso.com';
  const rand = prng(options.seed ?? 42);
  const licensedShare = options.licensedShare ?? 1;
  const users: SimUser[] = [];
  for (let i = 0; i < options.users; i++) {
    const first = firstNames[i % firstNames.length]!;
    const last = lastNames[Math.floor(i / firstNames.length) % lastNames.length]!;
    const round = Math.floor(i / (firstNames.length * lastNames.length));
    const suffix = round === 0 ? '' : String(round + 1);
    const display = `${first} ${last}${suffix ? ' ' + suffix : ''}`;
    const alias = `${first}.${last}${suffix}`.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
    users.push(user(rand, domain, display, alias, rand() < licensedShare));
  }
  return {
    tenantId: guid(rand),
    domain,
    hybrid: { PeerDestination: `sip.${domain}`, UseOnPremDialPlan: false },
    federation: { SharedSipAddressSpace: true },
    sipDomains: [
      { Name: domain, Status: 'Enabled' },
      { Name: `${domain.split('.')[0]}.onmicrosoft.com`, Status: 'Enabled' },
    ],
    sites: [
      { Identity: 'Seattle', EdgeFqdn: `ap.seattle.${domain}` },
      { Identity: 'Amsterdam', EdgeFqdn: `ap.amsterdam.${domain}` },
    ],
    users,
    directRouting: { gateways: [], pstnUsages: [], voiceRoutes: [], voiceRoutingPolicies: [] },
  };
}

/** How long after the demo tenant is first created MediationServer2 reaches Skype for Business Online. */
export const demoMediationServer2SyncDelayMs = 2 * 60_000;

/**
 * The demo tenant: Bob Kelly and Bob Smith (licensed, not voice-enabled), Alex Vance already
 * voice-enabled at tel:+14255550111 in Seattle, and 30 others, some without a Phone System licence.
 * Hybrid connectivity is not set up yet (no PeerDestination, no shared SIP address space), so the
 * procedure's steps are there to do; the Mediation Server accounts MediationServer1 (synced) and
 * MediationServer2 (synced two minutes after `now`) are licensed and have no Department yet.
 */
export function demoTenant(now: Date = new Date()): SimTenantState {
  const tenant = generateTenant({ users: 30, seed: 7, licensedShare: 0.6 });
  const rand = prng(99);
  const bobKelly = user(rand, tenant.domain, 'Bob Kelly', 'bob.kelly', true);
  const bobSmith = user(rand, tenant.domain, 'Bob Smith', 'bob.smith', true);
  const alex = tenant.users.find((u) => u.DisplayName === 'Alex Vance')!;
  Object.assign(alex, {
    Licenses: ['Teams', 'PhoneSystem'],
    EnterpriseVoiceEnabled: true,
    HostedVoiceMail: true,
    OnPremLineURI: 'tel:+14255550111',
    HybridPSTNSite: 'Seattle',
  });
  tenant.users.unshift(bobKelly, bobSmith);
  const ms1 = user(rand, tenant.domain, 'MediationServer1', 'mediationserver1', true);
  const ms2 = user(rand, tenant.domain, 'MediationServer2', 'mediationserver2', true);
  ms2.syncAt = new Date(now.getTime() + demoMediationServer2SyncDelayMs).toISOString();
  tenant.users.push(ms1, ms2);
  tenant.hybrid = { PeerDestination: null, UseOnPremDialPlan: true };
  tenant.federation = { SharedSipAddressSpace: false };
  tenant.sites = [
    { Identity: 'Seattle', EdgeFqdn: 'ap.contoso.com' },
    { Identity: 'Amsterdam', EdgeFqdn: 'ap2.contoso.com' },
  ];
  tenant.tenantId = '72f988bf-0000-4000-a000-000000c0ffee';
  return tenant;
}
