/**
 * Register a hybrid Mediation Server (seed step 9), one request per server, as steps:
 *   1. wait until Get-CsOnlineUser -Identity <UPN> finds the account (it syncs to Skype for Business
 *      Online only once licensed; "allow up to one hour")
 *   2. Set-MsolUser -UserPrincipalName <UPN> -Department "HybridMediationServer"
 *      (Update-MgUser -UserId <UPN> -Department … where the MSOnline module is gone)
 *   3. Set-CsHybridMediationServer -Identity <display name, from step 1> -Fqdn <Mediation Server FQDN>
 *      -AccessProxyExternalFqdn <the Edge FQDN of the server's site>
 * then read back with Get-CsHybridMediationServer, and remind the admin to remove the licence.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import type { Site } from '../../model/inventory';
import type { HybridMediationServer } from '../../tenant/cmdlets';
import { TenantError } from '../../tenant/port';
import { defineCommand, type ChangeCommand, type ReadContext } from '../command';
import { Fqdn, planChanges, primarySipDomain, SiteName } from '../fields';
import { callStep, makePlan, waitStep } from '../plans';

export const mediationDepartment = 'HybridMediationServer';


const Input = z.object({
  fqdn: Fqdn,
  site: SiteName,
  displayName: z.string({ error: 'Give the display name of the Mediation Server\'s account, e.g. MediationServer1.' }).trim().min(1, 'Give the display name of the Mediation Server\'s account, e.g. MediationServer1.').max(256).refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'A display name cannot contain control characters.'),
  upn: z.string({ error: 'Give the account\'s UPN, e.g. mediationserver1@contoso.com.' }).trim().toLowerCase().regex(/^[^\s@]+@[a-z0-9.-]+\.[a-z]{2,}$/, 'That is not a UPN (name@domain).'),
});
type Input = z.infer<typeof Input>;

async function readOrNull<T>(read: () => Promise<T[]>): Promise<T | null> {
  try {
    return (await read())[0] ?? null;
  } catch (err) {
    if (err instanceof TenantError && err.kind === 'not-found') return null;
    throw err;
  }
}

const observe: ChangeCommand<Input>['observe'] = async (ctx: ReadContext, input) => {
  const account = await readOrNull(async () => (await ctx.tenant.run('Get-MgUser', { UserId: input.upn })).output);
  const registration = await readOrNull(async () => (await ctx.tenant.run('Get-CsHybridMediationServer', { Identity: input.displayName })).output);
  return {
    Department: account ? account.Department : null,
    Fqdn: registration ? registration.Fqdn : null,
    AccessProxyExternalFqdn: registration ? registration.AccessProxyExternalFqdn : null,
  };
};

/** Every registration there is: Get-CsHybridMediationServer for each account the procedure marked (Department). */
export async function readRegistrations(ctx: Pick<ReadContext, 'tenant'>): Promise<(HybridMediationServer & { account: string })[]> {
  const accounts = (await ctx.tenant.run('Get-CsOnlineUser', { Filter: `Department -eq '${mediationDepartment}'`, ResultSize: 500 })).output;
  const registrations: (HybridMediationServer & { account: string })[] = [];
  for (const a of accounts) {
    const r = await readOrNull(async () => (await ctx.tenant.run('Get-CsHybridMediationServer', { Identity: a.DisplayName })).output);
    if (r) registrations.push({ ...r, account: a.DisplayName });
  }
  return registrations;
}

async function siteOf(ctx: ReadContext, name: string): Promise<Site> {
  const site = await ctx.store.getSite(name);
  if (!site) {
    const known = (await ctx.store.listSites()).map((s) => s.name);
    throw new Refusal('invalid-input', `There is no site "${name}" in the inventory (${known.length ? `sites: ${known.join(', ')}` : 'add one with add site'}).`);
  }
  return site;
}

export const registerMediationServer = defineCommand<Input>({
  id: 'register-mediation-server',
  kind: 'change',
  title: 'Register hybrid Mediation Server',
  summary: 'Register one Cloud Connector Mediation Server with Skype for Business Online, waiting for its account to sync.',
  usage: 'register mediation server [<fqdn>]',
  examples: ['register mediation server', 'register mediation server ms1.contoso.com', 'Register hybrid mediation server ms2.contoso.com.'],
  patterns: [/^register\s+(?:hybrid\s+)?mediation\s+server(?:\s+(?<fqdn>\S+))?$/i],
  input: Input,
  required: ['fqdn', 'site', 'displayName', 'upn'],
  formCard: 'register-mediation-server-form',
  audience: 'everyone',
  risk: 'medium',
  timeoutMs: 60_000,

  async formData(ctx, input) {
    const sites = await ctx.store.listSites();
    const fqdn = typeof input.fqdn === 'string' ? input.fqdn.toLowerCase() : '';
    const site = sites.find((s) => s.mediationServers.some((m) => m.fqdn.toLowerCase() === fqdn));
    const domain = (await primarySipDomain(ctx)) ?? 'contoso.com';
    const short = fqdn.split('.')[0] ?? '';
    return {
      fqdn,
      site: input.site ?? site?.name ?? sites[0]?.name ?? '',
      sites: sites.map((s) => ({ title: `${s.name} (${s.edgeFqdn})`, value: s.name })),
      displayName: input.displayName ?? '',
      upn: input.upn ?? '',
      domain,
      hint: short ? `For example MediationServer-${short} / mediationserver-${short}@${domain}` : `For example MediationServer1 / mediationserver1@${domain}`,
    };
  },

  observe,

  async plan(ctx, input) {
    const site = await siteOf(ctx, input.site);
    const server = site.mediationServers.find((m) => m.fqdn.toLowerCase() === input.fqdn);
    if (!server) {
      const elsewhere = (await ctx.store.listSites()).find((s) => s.mediationServers.some((m) => m.fqdn.toLowerCase() === input.fqdn));
      throw new Refusal('procedure-rule', elsewhere
        ? `${input.fqdn} is a Mediation Server of site ${elsewhere.name}, not ${site.name}: its AccessProxyExternalFqdn must be the Edge of its own site (${elsewhere.edgeFqdn}).`
        : `${input.fqdn} is not a Mediation Server of site ${site.name} (${site.mediationServers.map((m) => m.fqdn).join(', ') || 'none yet'}); add it to the site first.`);
    }
    const domain = await primarySipDomain(ctx);
    const upnDomain = input.upn.split('@')[1]!;
    if (domain && upnDomain !== domain.toLowerCase()) {
      throw new Refusal('procedure-rule', `The account must be in the default Cloud Connector SIP domain (${domain}), the first SIP domain of the .ini file; ${input.upn} is in ${upnDomain}.`);
    }
    const account = await readOrNull(async () => (await ctx.tenant.run('Get-MgUser', { UserId: input.upn })).output);
    if (!account) throw new Refusal('invalid-input', `There is no account ${input.upn}: create it in the Microsoft 365 admin center (any name, e.g. ${input.displayName}) and license it so it reaches Skype for Business Online, then ask again.`);
    if (account.DisplayName.toLowerCase() !== input.displayName.toLowerCase()) {
      throw new Refusal('invalid-input', `${input.upn} is named "${account.DisplayName}", not "${input.displayName}": Set-CsHybridMediationServer finds the account by its display name, so use that one.`);
    }
    const synced = await readOrNull(async () => (await ctx.tenant.run('Get-CsOnlineUser', { Identity: input.upn })).output);
    if (!synced && account.AssignedLicenses.length === 0) {
      throw new Refusal('procedure-rule', `${input.upn} has no licence, so it will never reach Skype for Business Online: assign one (any, e.g. E5) for now; the procedure removes it again afterwards.`);
    }
    const observed = await observe(ctx, input, input.fqdn);
    const { changes, expectations } = planChanges(observed, { Department: mediationDepartment, Fqdn: input.fqdn, AccessProxyExternalFqdn: site.edgeFqdn });
    if (changes.length === 0) throw new Refusal('nothing-to-change', `${input.fqdn} is already registered through ${input.displayName} with ${site.edgeFqdn}: nothing to do.`);

    const { availableCmdlets } = await ctx.tenant.describe();
    const useMsol = availableCmdlets.includes('Set-MsolUser');
    if (!useMsol && !availableCmdlets.includes('Update-MgUser')) throw new Refusal('tenant-refused', 'The PowerShell host has neither MSOnline (Set-MsolUser) nor Microsoft.Graph.Users (Update-MgUser): install one to set the account\'s Department.');
    const department = useMsol
      ? callStep('Set-MsolUser', { UserPrincipalName: input.upn, Department: mediationDepartment }, { title: 'Mark the account as a hybrid Mediation Server (Department)', repeatSafe: true })
      : callStep('Update-MgUser', { UserId: input.upn, Department: mediationDepartment }, { title: 'Mark the account as a hybrid Mediation Server (Department)', repeatSafe: true });
    const notes = [
      'After it is verified, remove the licence from the account: it was needed only to reach Skype for Business Online (seed step 9.1).',
      ...(useMsol ? [] : ['MSOnline (Set-MsolUser, the seed\'s command) is not in this PowerShell host: Update-MgUser from Microsoft Graph sets the same Department.']),
      'Current reference pages describe Set-CsHybridMediationServer -Identity as a PSTN site; the seed procedure passes the display name of the Mediation Server account, and so does this plan.',
      ...(synced ? [] : [`${input.upn} is not in Skype for Business Online yet: step 1 waits for it (up to an hour), and the card shows each check.`]),
    ];
    return makePlan({
      target: `${input.fqdn} (site ${site.name}, account ${input.displayName})`,
      subject: `mediation:${input.fqdn}`,
      changes,
      expectations,
      steps: [
        waitStep('Get-CsOnlineUser', { Identity: input.upn }, {
          title: `Account ${input.upn} in Skype for Business Online`,
          until: { kind: 'found' },
          deadlineMs: ctx.settings.accountSync.deadlineMs,
          pollMs: { first: ctx.settings.accountSync.firstPollMs, max: Math.max(ctx.settings.accountSync.firstPollMs, 5 * 60_000) },
          onDeadline: `${input.upn} did not reach Skype for Business Online within ${Math.round(ctx.settings.accountSync.deadlineMs / 60_000)} min. Check it exists, is licensed and is in the ${upnDomain} domain, then register again.`,
        }),
        department,
        callStep('Set-CsHybridMediationServer', { Fqdn: input.fqdn, AccessProxyExternalFqdn: site.edgeFqdn }, { title: 'Register the Mediation Server with its site\'s Edge', repeatSafe: true, bind: { Identity: { step: 1, property: 'DisplayName' } } }),
      ],
      extraLocks: [`account:${input.upn}`],
      notes,
    });
  },
});
