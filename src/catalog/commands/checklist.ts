/**
 * checklist [<site>]: the readiness report, one card walking the procedure in order (firewall, gateways
 * and MTLS, tenant domain, Edge DNS, hybrid connectivity, users enabled, users on sites, Mediation
 * Servers registered), each item pass / warn / fail with its evidence and the command that fixes it.
 * The network checks and the tenant reads all run at once; progress is shown while they run.
 */
import { z } from 'zod';
import type { CheckItem } from '../../model/check';
import { runNetworkChecklist } from '../../network/checklist';
import { presentItems } from '../../network/present';
import { mergeSites, networkRuntime } from '../../network/runtime';
import { defineCommand, type CommandContext } from '../command';
import { SiteName } from '../fields';
import { readRegistrations } from './register-mediation-server';

/** How many voice users the report looks at for "users on sites" (bounded for large tenants). */
const userSample = 200;

async function tenantSections(ctx: CommandContext): Promise<Record<string, CheckItem[]>> {
  const guard = async (section: string, read: () => Promise<CheckItem[]>): Promise<[string, CheckItem[]]> => {
    try {
      return [section, await read()];
    } catch (err) {
      return [section, [{ check: section, status: 'fail', evidence: `could not be read: ${(err as Error).message}` }]];
    }
  };
  const entries = await Promise.all([
    guard('3. Tenant domain', async () => {
      const domains = (await ctx.tenant.run('Get-CsOnlineSipDomain', {})).output;
      const usable = domains.filter((d) => d.Status === 'Enabled' && !/\.onmicrosoft\.com$/i.test(d.Name));
      return [usable.length
        ? { check: 'SIP domain', status: 'pass', evidence: `${usable[0]!.Name} is enabled (of ${domains.map((d) => d.Name).join(', ')})` }
        : { check: 'SIP domain', status: 'fail', evidence: `only ${domains.map((d) => d.Name).join(', ') || 'no domain'}: .onmicrosoft.com is not supported as a SIP domain`, fix: 'add your domain in the Microsoft 365 admin center (seed step 3), then show domains' }];
    }),
    guard('5. Hybrid connectivity', async () => {
      const [hybrid] = (await ctx.tenant.run('Get-CsTenantHybridConfiguration', {})).output;
      const [federation] = (await ctx.tenant.run('Get-CsTenantFederationConfiguration', {})).output;
      const peer = hybrid?.PeerDestination ?? null;
      const fix = `configure hybrid edge ${peer ?? 'ap.<your SIP domain>'}`;
      return [
        peer ? { check: 'PeerDestination', status: 'pass', evidence: peer } : { check: 'PeerDestination', status: 'fail', evidence: '(none): users without a PSTN site cannot reach the PSTN', fix },
        hybrid?.UseOnPremDialPlan === false ? { check: 'UseOnPremDialPlan', status: 'pass', evidence: 'False' } : { check: 'UseOnPremDialPlan', status: 'fail', evidence: `${String(hybrid?.UseOnPremDialPlan ?? '(none)')}; the procedure sets False`, fix },
        federation?.SharedSipAddressSpace ? { check: 'SharedSipAddressSpace', status: 'pass', evidence: 'True' } : { check: 'SharedSipAddressSpace', status: 'fail', evidence: 'False; the procedure sets True', fix },
      ];
    }),
    guard('6. Users enabled for voice', async () => {
      const voice = (await ctx.tenant.run('Get-CsOnlineUser', { Filter: 'EnterpriseVoiceEnabled -eq $true', ResultSize: userSample })).output;
      const noNumber = voice.filter((u) => !(u.LineURI ?? u.OnPremLineURI));
      const items: CheckItem[] = [voice.length
        ? { check: 'Voice users', status: 'pass', evidence: `${voice.length}${voice.length === userSample ? '+' : ''} users have EnterpriseVoiceEnabled True` }
        : { check: 'Voice users', status: 'warn', evidence: 'no user is enabled for voice yet', fix: 'enable voice for <user> number <E.164> (or bulk enable)' }];
      if (noNumber.length) items.push({ check: 'Numbers', status: 'warn', evidence: `${noNumber.length} voice users have no LineURI: ${noNumber.slice(0, 3).map((u) => u.UserPrincipalName).join(', ')}${noNumber.length > 3 ? ', …' : ''}`, fix: `enable voice for ${noNumber[0]!.UserPrincipalName} number <E.164>` });
      return items;
    }),
    guard('7. Users on PSTN sites', async () => {
      const voice = (await ctx.tenant.run('Get-CsOnlineUser', { Filter: 'EnterpriseVoiceEnabled -eq $true', ResultSize: Math.min(userSample, 50) })).output;
      const without: string[] = [];
      for (const u of voice) {
        const [pstn] = (await ctx.tenant.run('Get-CsUserPstnSettings', { Identity: u.UserPrincipalName })).output;
        if (!pstn?.HybridPSTNSite) without.push(u.UserPrincipalName);
      }
      return [without.length
        ? { check: 'PSTN site per user', status: 'warn', evidence: `${without.length} of ${voice.length} voice users looked at have no site and fall back to the PeerDestination: ${without.slice(0, 3).join(', ')}${without.length > 3 ? ', …' : ''}`, fix: `assign ${without[0]} to site <site> (users without site lists them)` }
        : { check: 'PSTN site per user', status: 'pass', evidence: `all ${voice.length} voice users looked at have a site` }];
    }),
    guard('8. Mediation Servers registered', async () => {
      const sites = await ctx.store.listSites();
      const servers = sites.flatMap((s) => s.mediationServers.map((m) => ({ site: s, fqdn: m.fqdn })));
      if (!servers.length) return [{ check: 'Mediation Servers', status: 'warn', evidence: 'none in the site inventory', fix: 'add site <name> edge <fqdn> mediation <fqdn> <ip>' }];
      const registered = new Map((await readRegistrations(ctx)).filter((r) => r.Fqdn).map((r) => [r.Fqdn!.toLowerCase(), r.AccessProxyExternalFqdn]));
      return servers.map(({ site, fqdn }): CheckItem => {
        const edge = registered.get(fqdn.toLowerCase());
        if (edge === undefined) return { check: fqdn, status: 'fail', evidence: `site ${site.name}: not registered`, fix: `register mediation server ${fqdn}` };
        if ((edge ?? '').toLowerCase() !== site.edgeFqdn.toLowerCase()) return { check: fqdn, status: 'fail', evidence: `registered with ${edge ?? '(none)'}, but site ${site.name}'s Edge is ${site.edgeFqdn}`, fix: `register mediation server ${fqdn}` };
        return { check: fqdn, status: 'pass', evidence: `registered with ${site.edgeFqdn} (site ${site.name})` };
      });
    }),
  ]);
  return Object.fromEntries(entries);
}

export const checklist = defineCommand<{ site?: string }>({
  id: 'checklist',
  kind: 'check',
  title: 'Readiness checklist',
  summary: 'Walk the whole procedure: firewall, gateways, domain, DNS, hybrid, users, sites, Mediation Servers.',
  usage: 'checklist [<site>]',
  examples: ['checklist', 'checklist Seattle', 'readiness report', 'checklist for site Amsterdam'],
  patterns: [/^(?:checklist|readiness(?:\s+(?:report|check))?)(?:\s+(?:for\s+)?(?:(?:pstn\s+)?site\s+)?(?<site>.+))?$/i],
  input: z.object({ site: SiteName.optional() }),
  required: [],
  audience: 'everyone',

  async run(ctx, input) {
    const rt = await networkRuntime();
    const stored = await ctx.store.listSites();
    const sites = mergeSites(stored, rt.inventory);
    const inventory = { ...rt.inventory, sites };
    const report = (what: string) => ctx.progress?.(`Checklist: ${what}`);
    await report('running the network checks and reading the tenant, all at once…');
    const [network, tenant] = await Promise.all([
      runNetworkChecklist(rt.port, inventory, { roots: rt.roots, ...(rt.clientCert ? { clientCert: rt.clientCert } : {}), timeoutMs: rt.gatewayTimeoutMs, probeTimeoutMs: rt.probeTimeoutMs, ...(input.site ? { site: input.site } : {}) }, (p) => {
        void report(`${p.done} of ${p.total} network checks done (${p.finished})`);
      }),
      tenantSections(ctx),
    ]);
    const bySection = new Map<string, CheckItem[]>([...network.map((s): [string, CheckItem[]] => [s.title, s.items]), ...Object.entries(tenant)]);
    const order = [...bySection.keys()].sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    const items = order.flatMap((section) => bySection.get(section)!.map((i) => ({ ...i, check: `${section}: ${i.check}` })));
    return presentItems({
      title: `Readiness checklist${input.site ? `, site ${input.site}` : ''}`,
      subtitle: `The procedure in order, from ${rt.where} and the tenant (${(await ctx.tenant.describe()).moduleVersion})`,
      items,
      notes: ['Network checks run from where the bot runs; a port open from here may still be closed from the other side of a firewall.'],
    });
  },
});
