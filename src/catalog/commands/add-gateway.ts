/**
 * add gateway: records a PSTN gateway of a site and the trunks it has to the site's Mediation Servers
 * (inventory only: the trunks are entered on the gateway itself, see gateway config). The seed's step
 * 2 rules, checked and explained:
 *   - one trunk per Mediation Server FQDN or IP, never the pool FQDN ("the pool FQDN is the same for
 *     all servers in the pool");
 *   - "Trunks should be set in the same priority";
 *   - "PSTN gateway(s) in one PSTN site should only connect to the Mediation Server(s) in the same site".
 */
import { z } from 'zod';
import { Refusal } from '../../errors';
import {
  defaultGatewayPort, defaultTrunkPriority, findMediationServer, gatewayText, mediationPort, mediationServerText, sameName, siteOfGateway, siteOfMediationServer,
  type Gateway, type Site,
} from '../../model/inventory';
import { defineCommand, type ChangeCommand } from '../command';
import { blank, Fqdn, IPv4, planChanges, SiteName } from '../fields';
import { makePlan, recordStep } from '../plans';
import { siteLock } from './add-site';

const ipPattern = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** A gateway or trunk target: an IPv4 address or an FQDN, lower-cased. */
const Address = z
  .string({ error: 'Give the gateway\'s FQDN or IP address, e.g. gw1.contoso.com.' })
  .trim()
  .transform((v, ctx) => {
    const parsed = ipPattern.test(v) ? IPv4.safeParse(v) : Fqdn.safeParse(v);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not an FQDN or IPv4 address (e.g. gw1.contoso.com or 10.0.1.20).` });
      return z.NEVER;
    }
    return parsed.data;
  });

const Priority = z.coerce.number({ error: 'A trunk priority is a whole number, e.g. 1.' }).int('A trunk priority is a whole number, e.g. 1.').min(0, 'A trunk priority is 0 or more.').max(1000, 'A trunk priority is at most 1000.');

interface Trunk { to: string; priority?: number }

/** A parsed list (as stored with a request) reads back as the text it came from, so parsing it again is the same. */
const asText = (v: unknown) =>
  Array.isArray(v) ? v.map((t: { to?: unknown; priority?: unknown }) => `${String(t?.to)}${t?.priority !== undefined ? ` priority ${String(t.priority)}` : ''}`).join(', ') : v;

/** "ms1.contoso.com, ms2.contoso.com priority 2", as typed or from the form. */
const Trunks = z.preprocess(
  asText,
  z
    .string({ error: 'Give the trunks as Mediation Server FQDNs or IPs, separated by commas.' })
    .max(2000, 'That list of trunks is too long.')
    .transform((text, ctx) => {
      const trunks: Trunk[] = [];
      for (const entry of text.split(/[,;\n]+/).map((e) => e.trim()).filter(Boolean)) {
        const m = /^(\S+)(?:\s+priority\s+(\S+))?$/i.exec(entry);
        const to = m ? Address.safeParse(m[1]) : undefined;
        const priority = m?.[2] !== undefined ? Priority.safeParse(m[2]) : undefined;
        if (!to?.success || (priority && !priority.success)) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not a trunk: give each Mediation Server's FQDN or IP, optionally with priority <n>, separated by commas (e.g. ms1.contoso.com, ms2.contoso.com).` });
          return z.NEVER;
        }
        trunks.push({ to: to.data, ...(priority?.success ? { priority: priority.data } : {}) });
      }
      return trunks;
    }),
);

const Input = z.object({
  site: SiteName,
  address: Address,
  transport: z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() || undefined : v), z.enum(['tcp', 'tls'], { error: 'The transport is TCP or TLS.' }).default('tcp')),
  port: z.preprocess(blank, z.coerce.number({ error: 'The gateway\'s port is a number, e.g. 5060.' }).int('The gateway\'s port is a whole number, e.g. 5060.').min(1, 'The gateway\'s port is 1-65535.').max(65535, 'The gateway\'s port is 1-65535.').optional()),
  priority: z.preprocess(blank, Priority.optional()),
  trunks: z.preprocess(blank, Trunks.optional()),
});
type Input = z.infer<typeof Input>;

const property = (address: string) => `Gateway ${address}`;

const observe: ChangeCommand<Input>['observe'] = async (ctx, input) => {
  const gateway = (await ctx.store.getSite(input.site))?.gateways.find((g) => sameName(g.address, input.address));
  return { [property(input.address)]: gateway ? gatewayText(gateway) : null };
};

/** The trunks as they would be configured, or the one-line reason a rule of the procedure refuses them. */
function trunksFor(site: Site, sites: readonly Site[], input: Input): { servers: string[]; priority: number } {
  const given: Trunk[] = input.trunks?.length ? input.trunks : site.mediationServers.map((m) => ({ to: m.fqdn }));
  const servers: string[] = [];
  const priorities = new Map<number, string>();
  for (const trunk of given) {
    const pool = sites.find((s) => s.mediationPoolFqdn && sameName(s.mediationPoolFqdn, trunk.to));
    if (pool) {
      throw new Refusal('procedure-rule', `${trunk.to} is the Mediation pool FQDN of site ${pool.name}: each trunk points to one Mediation Server's FQDN or IP, never the pool FQDN, because the pool FQDN is the same for all servers of the pool.`);
    }
    const server = findMediationServer(site, trunk.to);
    if (!server) {
      const owner = siteOfMediationServer(sites, trunk.to, site.name);
      if (owner) throw new Refusal('procedure-rule', `${trunk.to} is a Mediation Server of site ${owner.name}: a gateway of site ${site.name} trunks only to ${site.name}'s Mediation Servers (${site.mediationServers.map((m) => m.fqdn).join(', ')}).`);
      throw new Refusal('invalid-input', `${trunk.to} is not a Mediation Server of site ${site.name}; its Mediation Servers: ${site.mediationServers.map(mediationServerText).join(', ')}.`);
    }
    if (servers.includes(server.fqdn)) throw new Refusal('procedure-rule', `${trunk.to} names ${server.fqdn} again: one trunk per Mediation Server.`);
    servers.push(server.fqdn);
    const priority = trunk.priority ?? input.priority ?? defaultTrunkPriority;
    if (!priorities.has(priority)) priorities.set(priority, server.fqdn);
  }
  if (priorities.size > 1) {
    const shown = [...priorities].map(([p, fqdn]) => `${p} for ${fqdn}`).join(' and ');
    throw new Refusal('procedure-rule', `All trunks of a gateway have the same priority (you gave ${shown}): the procedure sets them equal so calls are shared by all Mediation Servers of the site.`);
  }
  return { servers, priority: [...priorities.keys()][0] ?? input.priority ?? defaultTrunkPriority };
}

export const addGateway = defineCommand<Input>({
  id: 'add-gateway',
  kind: 'change',
  title: 'Add PSTN gateway',
  summary: 'Record a PSTN gateway of a site and its trunks to that site\'s Mediation Servers (one per server, same priority).',
  usage: 'add gateway <FQDN or IP> to site <site> [tcp|tls] [port <n>] [priority <n>] [trunks <Mediation Server>, …]',
  examples: [
    'add gateway gw1.contoso.com to site Seattle tls port 5061 trunks ms1.contoso.com, ms2.contoso.com',
    'add gateway 10.0.1.20 to site Seattle',
    'Add PSTN gateway gw2.contoso.com to site Amsterdam tcp port 5060 priority 1',
    'add gateway',
  ],
  patterns: [/^add\s+(?:a\s+)?(?:new\s+)?(?:pstn\s+)?gateway(?:\s+(?!(?:to|in|for|at)\b)(?<address>\S+))?(?:\s+(?:to|in|for|at)\s+(?:the\s+)?(?:pstn\s+)?site\s+(?<site>.+?))?(?:\s+(?:over\s+)?(?<transport>tcp|tls))?(?:\s+port\s+(?<port>\S+))?(?:\s+priority\s+(?<priority>\S+))?(?:\s+trunks?(?:\s+to)?\s+(?<trunks>.+))?$/i],
  input: Input,
  required: ['site', 'address'],
  formCard: 'add-gateway-form',
  audience: 'everyone',
  risk: 'low',
  timeoutMs: 10_000,

  async formData(ctx, input) {
    const sites = await ctx.store.listSites();
    const text = (v: unknown) => (typeof v === 'string' ? v : '');
    const chosen = sites.find((s) => sameName(s.name, text(input.site))) ?? (sites.length === 1 ? sites[0] : undefined);
    return {
      site: chosen?.name ?? text(input.site),
      sites: sites.map((s) => ({ title: `${s.name} (${s.mediationServers.map((m) => m.fqdn).join(', ') || 'no Mediation Servers yet'})`, value: s.name })),
      known: sites.map((s) => s.name).join(', ') || 'none yet: add site first',
      address: text(input.address),
      transport: text(input.transport).toLowerCase() === 'tls' ? 'tls' : 'tcp',
      port: text(input.port),
      trunks: text(input.trunks) || (chosen ? chosen.mediationServers.map((m) => m.fqdn).join(', ') : ''),
    };
  },

  observe,

  async plan(ctx, input) {
    const sites = await ctx.store.listSites();
    const site = sites.find((s) => sameName(s.name, input.site));
    if (!site) throw new Refusal('invalid-input', `There is no site "${input.site}" in the inventory: add site ${input.site} first. Sites: ${sites.map((s) => s.name).join(', ') || 'none yet'}.`);
    if (site.mediationServers.length === 0) throw new Refusal('procedure-rule', `Site ${site.name} has no Mediation Servers for the gateway to trunk to: add them first (add site ${site.name} edge ${site.edgeFqdn} mediation <FQDN> <IP>, …).`);
    const address = input.address;
    if (input.transport === 'tls' && ipPattern.test(address)) {
      throw new Refusal('procedure-rule', `TLS needs the gateway's FQDN, not ${address}: the gateway certificate's CN and SAN are its FQDN.`);
    }
    const elsewhere = siteOfGateway(sites, address, site.name);
    if (elsewhere) throw new Refusal('procedure-rule', `${address} is already a gateway of site ${elsewhere.name}: a site's gateways connect only to that site's Mediation Servers.`);
    const isServer = siteOfMediationServer(sites, address);
    if (isServer) throw new Refusal('invalid-input', `${address} is a Mediation Server of site ${isServer.name}, not a gateway.`);

    const { servers, priority } = trunksFor(site, sites, input);
    const gateway: Gateway = { address, port: input.port ?? defaultGatewayPort[input.transport], transport: input.transport, mediationServers: servers, priority };
    const current = site.gateways.find((g) => sameName(g.address, address));
    const { changes, expectations } = planChanges({ [property(address)]: current ? gatewayText(current) : null }, { [property(address)]: gatewayText(gateway) });
    if (changes.length === 0) throw new Refusal('nothing-to-change', `Gateway ${address} of site ${site.name} already has these settings: nothing to do.`);

    const transport = input.transport.toUpperCase();
    const notes = [`Port ${gateway.port} is the gateway's own listening port (set on the gateway); its trunks reach each Mediation Server on ${transport} ${mediationPort[input.transport]}.`];
    const untrunked = site.mediationServers.filter((m) => !servers.includes(m.fqdn));
    if (untrunked.length) notes.push(`No trunk to ${untrunked.map((m) => m.fqdn).join(', ')}: the procedure sets trunks back to the Mediation Servers of all appliances of the site.`);
    if (input.transport === 'tls') {
      notes.push(`TLS: set up MTLS between ${address} and the Mediation Servers: export the CCE root CA and import it on the gateway, import the gateway certificate's root CA on the Mediation Servers; the gateway certificate's CN and SAN are ${address}. cert request ${address} makes its key and CSR, cert import ${address} the PFX (cert root gives the root CA).`);
    }
    const updated: Site = { ...site, gateways: [...site.gateways.filter((g) => g !== current), gateway] };
    return makePlan({
      target: `Gateway ${address} of site ${site.name}`,
      subject: `site:${site.name.toLowerCase()}`,
      changes,
      expectations,
      steps: [recordStep(updated, `${current ? 'Update' : 'Record'} gateway ${address} of site ${site.name} in the inventory`)],
      // The record step writes the whole site: one open request per site, and a gateway address is held across sites.
      extraLocks: [siteLock(site.name), `Gateway ${address}`],
      notes,
    });
  },
});
