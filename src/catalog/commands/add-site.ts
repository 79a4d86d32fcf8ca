/**
 * add site: records a PSTN site in Switchboard's inventory (no tenant change), after approval: its
 * name (the CloudConnector.ini SiteName, which must match the tenant's PSTN site), its external Access
 * Edge FQDN, and its Mediation Servers by FQDN and IP. The rules of the CCE docs are checked here:
 *   - the Edge FQDN is never sip.<domain> ("this DNS record is used by Office 365");
 *   - multi-site means a different External FQDN per site (the same FQDN is one site with HA);
 *   - a Mediation Server belongs to one site (gateways of a site trunk only to its own servers).
 * Re-adding a site with other values is a change of that site, shown as current -> new.
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import { mediationServersText, sameName, siteOfMediationServer, type MediationServer, type Site } from '../../model/inventory';
import { TenantError } from '../../tenant/port';
import { defineCommand, type ChangeCommand, type CommandContext } from '../command';
import { blank, Fqdn, IPv4, planChanges, SiteName } from '../fields';
import { makePlan, recordStep } from '../plans';
import { autoCreatedNote, readTenantSites } from './show-sites';

const example = 'ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12';
const ipPattern = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** A parsed list (as stored with a request) reads back as the text it came from, so parsing it again is the same. */
const asText = (v: unknown) =>
  Array.isArray(v) ? v.map((m: { fqdn?: unknown; ip?: unknown }) => [m?.fqdn, m?.ip].filter((x) => typeof x === 'string').join(' ')).join(', ') : v;

/** "ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12", as typed or from the form. */
const MediationServers = z.preprocess(
  asText,
  z
    .string({ error: `Give each Mediation Server as <FQDN> <IP>, separated by commas, e.g. ${example}.` })
    .max(2000, 'That list of Mediation Servers is too long.')
    .transform((text, ctx) => {
      const servers: MediationServer[] = [];
      for (const entry of text.split(/[,;\n]+/).map((e) => e.trim()).filter(Boolean)) {
        const words = entry.split(/\s+/);
        const ips = words.filter((w) => ipPattern.test(w));
        const names = words.filter((w) => !ipPattern.test(w));
        const fqdn = names.length === 1 ? Fqdn.safeParse(names[0]) : undefined;
        const ip = ips.length === 1 ? IPv4.safeParse(ips[0]) : undefined;
        if (!fqdn?.success || ips.length > 1 || (ip && !ip.success)) {
          const why = names.length === 0 ? 'a Mediation Server needs its FQDN' : names.length > 1 || !fqdn?.success ? `"${names.join(' ')}" is not one FQDN` : ips.length > 1 ? 'one IP address per server' : `"${ips[0]}" is not an IPv4 address`;
          ctx.addIssue({ code: 'custom', message: `"${entry}": ${why}. Give each Mediation Server as <FQDN> <IP>, separated by commas, e.g. ${example}.` });
          return z.NEVER;
        }
        servers.push({ fqdn: fqdn.data, ...(ip?.success ? { ip: ip.data } : {}) });
      }
      return servers;
    }),
);

/** A form leaves an optional field as ''; that means "not given". */

const Input = z.object({
  name: SiteName,
  edge: Fqdn,
  mediation: z.preprocess(blank, MediationServers.optional()),
  pool: z.preprocess(blank, Fqdn.optional()),
});
type Input = z.infer<typeof Input>;

/** The inventory's values as the plan names them; null when the site has none (a new site). */
function siteProperties(site: Site | undefined): Record<string, unknown> {
  return {
    'Edge FQDN': site?.edgeFqdn ?? null,
    'Mediation Servers': site ? mediationServersText(site.mediationServers) : null,
    'Mediation pool FQDN': site?.mediationPoolFqdn ?? null,
  };
}

const observe: ChangeCommand<Input>['observe'] = async (ctx, input) => siteProperties(await ctx.store.getSite(input.name));

/** The tenant's SIP domain names, the first non-.onmicrosoft.com one first (the default Edge is ap.<that domain>). */
async function sipDomains(ctx: Pick<CommandContext, 'tenant'>): Promise<string[] | undefined> {
  try {
    const names = (await ctx.tenant.run('Get-CsOnlineSipDomain', {})).output.filter((d) => d.Status === 'Enabled').map((d) => d.Name.toLowerCase());
    return [...names.filter((n) => !n.endsWith('.onmicrosoft.com')), ...names.filter((n) => n.endsWith('.onmicrosoft.com'))];
  } catch (err) {
    if (!(err instanceof TenantError)) throw err;
    return undefined;
  }
}

/**
 * Locks held across sites read as the thing held ("Mediation Server ms1.contoso.com is already held by
 * open request …"); FQDNs are already lower-case and IPs canonical, so the text is also the key.
 */
export const siteLock = (name: string) => `PSTN site ${name.toLowerCase()}`;
const edgeLock = (fqdn: string) => `Edge FQDN ${fqdn}`;
const mediationLock = (nameOrIp: string) => `Mediation Server ${nameOrIp}`;

export const addSite = defineCommand<Input>({
  id: 'add-site',
  kind: 'change',
  title: 'Add PSTN site',
  summary: 'Record a PSTN site in the inventory: its name, external Access Edge FQDN and Mediation Servers (FQDN and IP).',
  usage: 'add site <name> [edge <Edge FQDN>] [mediation <FQDN> <IP>, …] [pool <Mediation pool FQDN>]',
  examples: [
    'add site Seattle edge ap.contoso.com mediation ms1.contoso.com 10.0.1.11, ms2.contoso.com 10.0.1.12',
    'add site Amsterdam edge ap2.contoso.com mediation ms3.contoso.com 10.0.2.11 pool mspool2.contoso.com',
    'add PSTN site Seattle',
    'add site',
  ],
  patterns: [/^add\s+(?:a\s+)?(?:new\s+)?(?:pstn\s+)?site(?:\s+(?<name>.+?))?(?:\s+edge(?:\s+fqdn)?\s+(?<edge>\S+))?(?:\s+mediation(?:\s+servers?)?\s+(?<mediation>.+?))?(?:\s+pool(?:\s+fqdn)?\s+(?<pool>\S+))?$/i],
  input: Input,
  required: ['name', 'edge'],
  formCard: 'add-site-form',
  audience: 'everyone',
  risk: 'low',
  timeoutMs: 10_000,

  async formData(ctx, input) {
    const name = typeof input.name === 'string' ? input.name : '';
    const current = name ? await ctx.store.getSite(name) : undefined;
    const domains = await sipDomains(ctx);
    const tenant = await readTenantSites(ctx);
    const tenantSite = 'sites' in tenant && name ? tenant.sites.find((s) => sameName(s.Identity, name)) : undefined;
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    return {
      name: current?.name ?? tenantSite?.Identity ?? name,
      edge: text(input.edge) || current?.edgeFqdn || tenantSite?.EdgeFqdn || (domains?.[0] ? `ap.${domains[0]}` : ''),
      mediation: text(input.mediation) || (current ? current.mediationServers.map((m) => `${m.fqdn}${m.ip ? ` ${m.ip}` : ''}`).join(', ') : ''),
      pool: text(input.pool) || current?.mediationPoolFqdn || '',
      tenantSites: 'sites' in tenant ? tenant.sites.map((s) => s.Identity).join(', ') || 'none yet' : 'could not be read',
    };
  },

  observe,

  async plan(ctx, input) {
    const sites = await ctx.store.listSites();
    const current = sites.find((s) => sameName(s.name, input.name));
    const others = sites.filter((s) => s !== current);
    const tenant = await readTenantSites(ctx);
    const tenantSite = 'sites' in tenant ? tenant.sites.find((s) => sameName(s.Identity, input.name)) : undefined;
    // The .ini SiteName must match the tenant's PSTN site: take the tenant's spelling when it has the site.
    const name = tenantSite?.Identity ?? input.name;
    const edge = input.edge;
    const notes: string[] = [];

    if (ipPattern.test(edge)) throw new Refusal('invalid-input', `The Edge needs its FQDN (the Access Edge's DNS A record and certificate name), not the address ${edge}.`);
    if (/^sip\./.test(edge)) {
      throw new Refusal('procedure-rule', `${edge} cannot be the Edge FQDN: sip.<domain> belongs to Office 365. Use another name for the Access Edge, by default ap.${edge.slice(4)}.`);
    }
    const edgeOwner = others.find((s) => sameName(s.edgeFqdn, edge));
    if (edgeOwner) {
      throw new Refusal('procedure-rule', `${edge} is already the Edge FQDN of site ${edgeOwner.name}: each PSTN site needs its own External Access Edge FQDN (appliances sharing one are one site with HA; add them to ${edgeOwner.name}).`);
    }
    const tenantEdgeOwner = 'sites' in tenant ? tenant.sites.find((s) => !sameName(s.Identity, name) && s.EdgeFqdn && sameName(s.EdgeFqdn, edge)) : undefined;
    if (tenantEdgeOwner) {
      throw new Refusal('procedure-rule', `${edge} is the Edge FQDN of the tenant's PSTN site ${tenantEdgeOwner.Identity}: each PSTN site needs its own External Access Edge FQDN.`);
    }

    const servers = input.mediation ?? current?.mediationServers ?? [];
    const pool = input.pool ?? current?.mediationPoolFqdn;
    servers.forEach((m, i) => {
      const twin = servers.slice(0, i).find((o) => sameName(o.fqdn, m.fqdn) || (m.ip !== undefined && o.ip === m.ip));
      if (twin) throw new Refusal('invalid-input', `${sameName(twin.fqdn, m.fqdn) ? m.fqdn : m.ip} is listed twice: give each Mediation Server once, with its own FQDN and IP.`);
      for (const key of [m.fqdn, m.ip]) {
        const owner = key ? siteOfMediationServer(others, key) : undefined;
        if (owner) throw new Refusal('procedure-rule', `${key} is already a Mediation Server of site ${owner.name}: a Mediation Server belongs to one PSTN site only.`);
      }
      if (pool && sameName(m.fqdn, pool)) {
        throw new Refusal('procedure-rule', `${pool} is the Mediation pool FQDN: give each Mediation Server's own FQDN (the pool FQDN is the same for all servers of the pool).`);
      }
    });
    for (const g of current?.gateways ?? []) {
      const lost = g.mediationServers.find((t) => !servers.some((m) => sameName(m.fqdn, t)));
      if (lost) throw new Refusal('procedure-rule', `Gateway ${g.address} trunks to ${lost}, which this would remove from ${name}: change that gateway's trunks first (add gateway ${g.address} to site ${name} trunks …).`);
    }

    if ('error' in tenant) notes.push(`The tenant's PSTN sites could not be read (${tenant.error}), so the name is not checked against them.`);
    else if (!tenantSite) notes.push(`The tenant has no PSTN site ${name} yet: ${autoCreatedNote}. The appliance's CloudConnector.ini SiteName must be ${name}.`);
    else if (tenantSite.EdgeFqdn && !sameName(tenantSite.EdgeFqdn, edge)) notes.push(`The tenant's PSTN site ${name} has Edge FQDN ${tenantSite.EdgeFqdn}, not ${edge}: check the site's CloudConnector.ini.`);
    const domains = await sipDomains(ctx);
    if (domains?.length && !domains.some((d) => edge.endsWith(`.${d}`))) notes.push(`${edge} is not under a SIP domain of the tenant (${domains.join(', ')}).`);
    if (servers.length === 0) notes.push(`${name} has no Mediation Servers yet: gateways trunk to them, so add them (add site ${name} edge ${edge} mediation ${example}).`);
    else if (servers.some((m) => !m.ip)) notes.push(`Some Mediation Servers have no IP address; gateways that trunk by IP need it.`);

    const site: Site = { name, edgeFqdn: edge, mediationServers: servers, gateways: current?.gateways ?? [], ...(pool ? { mediationPoolFqdn: pool } : {}) };
    const { changes, expectations } = planChanges(siteProperties(current), siteProperties(site));
    if (changes.length === 0) throw new Refusal('nothing-to-change', `Site ${name} is already in the inventory with these values: nothing to do.`);
    return makePlan({
      target: `Site ${name}`,
      subject: `site:${name.toLowerCase()}`,
      changes,
      expectations,
      steps: [recordStep(site, current ? `Update site ${name} in the inventory` : `Record site ${name} in the inventory`)],
      // The record step writes the whole site, so one open request per site; Edge FQDNs and Mediation Servers are held across sites.
      extraLocks: [siteLock(name), edgeLock(edge), ...servers.flatMap((m) => [mediationLock(m.fqdn), ...(m.ip ? [mediationLock(m.ip)] : [])])],
      notes,
    });
  },
});
