/**
 * The network sections of the readiness report (`checklist [<site>]`), in the procedure's order: step 1
 * firewall, step 2 gateways and MTLS, step 4 Edge DNS. Every check of every site runs at once, each bounded
 * by its own timeout, so the wall time is that of the slowest single check, not their sum; progress is
 * reported as each check finishes. The tenant sections (domain, hybrid connectivity, users, Mediation
 * Server registration) come from the tenant port and are merged by the report.
 */
import { checkDns } from './check-dns';
import { checkGateway, type GatewayCheckOptions } from './check-gateway';
import type { CheckItem } from '../model/check';
import { checkPorts } from './check-ports';
import type { Inventory } from './inventory-types';
import type { NetworkPort } from './port';

export type NetworkSection = 'firewall' | 'gateways' | 'edge-dns';

export const sectionTitles: Record<NetworkSection, string> = {
  firewall: '1. Firewall (ports and protocols)',
  gateways: '2. PSTN gateways and MTLS',
  'edge-dns': '4. DNS records for the Edge',
};

export interface SectionResult {
  section: NetworkSection;
  title: string;
  /** Each item's check is prefixed with the site or gateway it is about. */
  items: CheckItem[];
}

export interface ChecklistOptions extends Omit<GatewayCheckOptions, 'now'> {
  /** Only this site (by name, case-insensitive). */
  site?: string;
  probeTimeoutMs?: number;
  now?: Date;
}

export interface ChecklistProgress {
  done: number;
  total: number;
  /** What just finished, e.g. "ports Redmond". */
  finished: string;
}

export async function runNetworkChecklist(port: NetworkPort, inventory: Inventory, options: ChecklistOptions, onProgress?: (p: ChecklistProgress) => void): Promise<SectionResult[]> {
  const sites = options.site ? inventory.sites.filter((s) => s.name.toLowerCase() === options.site!.toLowerCase()) : inventory.sites;
  const timeoutMs = options.timeoutMs ?? 3000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 1500;
  const jobs: Array<{ section: NetworkSection; label: string; run: () => Promise<CheckItem[]> }> = [];
  for (const site of sites) {
    jobs.push({ section: 'firewall', label: `ports ${site.name}`, run: async () => (await checkPorts(port, site, { timeoutMs: probeTimeoutMs, budgetMs: timeoutMs + probeTimeoutMs })).items.map((i) => ({ ...i, check: `${site.name}: ${i.check}` })) });
    for (const gw of site.gateways) {
      jobs.push({ section: 'gateways', label: `gateway ${gw.fqdn}`, run: async () => (await checkGateway(port, gw, { ...options, timeoutMs })).items.map((i) => ({ ...i, check: `${gw.fqdn}: ${i.check}` })) });
    }
  }
  jobs.push({
    section: 'edge-dns',
    label: `dns ${inventory.sipDomain}`,
    run: () => checkDns(port, { sipDomain: inventory.sipDomain, sites: sites.map((s) => ({ name: s.name, edgeFqdn: s.edgeFqdn, ...(s.edgeAddresses ? { expectedAddresses: s.edgeAddresses } : {}) })) }),
  });
  let done = 0;
  const results = await Promise.all(
    jobs.map(async (job) => {
      const items = await job.run().catch((err: Error): CheckItem[] => [{ check: job.label, status: 'fail', evidence: `the check itself failed: ${err.message}` }]);
      done += 1;
      onProgress?.({ done, total: jobs.length, finished: job.label });
      return { job, items };
    }),
  );
  return (Object.keys(sectionTitles) as NetworkSection[]).map((section) => ({ section, title: sectionTitles[section], items: results.filter((r) => r.job.section === section).flatMap((r) => r.items) }));
}
