/**
 * `check dns <sip domain>`: the records of the procedure's step 4 and the planning doc's DNS requirements,
 * looked up through the network port. One item per record, with what it resolves to; the documented
 * mistakes (sip.<domain> at a Cloud Connector Edge, .onmicrosoft.com as SIP domain) are warnings.
 */
import type { CheckItem } from '../model/check';
import { canonicalName, type NetResult, type NetworkPort, type SrvRecord } from './port';

export interface DnsSite {
  name: string;
  edgeFqdn: string;
  /** The Edge external addresses the site should publish (one per appliance in HA), when known. */
  expectedAddresses?: string[];
}

export interface DnsCheckInput {
  sipDomain: string;
  sites: DnsSite[];
}

const STEP4 = 'procedure step 4 (Add DNS records for your Edge)';

export async function checkDns(port: NetworkPort, input: DnsCheckInput): Promise<CheckItem[]> {
  const domain = canonicalName(input.sipDomain);
  const items: CheckItem[] = [];
  if (domain.endsWith('.onmicrosoft.com')) {
    items.push({ check: 'SIP domain', status: 'warn', evidence: `${domain} is an .onmicrosoft.com domain, which Cloud Connector does not support as SIP domain`, fix: 'add your own domain in the Microsoft 365 admin center (procedure step 3) and use it as SIP domain' });
  }
  const [edges, sipTls, federation, sipA, sipCname] = await Promise.all([
    Promise.all(input.sites.map(async (site) => ({ site, answer: await port.resolve(site.edgeFqdn, 'A') }))),
    srvItem(port, `_sip._tls.${domain}`),
    srvItem(port, `_sipfederationtls._tcp.${domain}`),
    port.resolve(`sip.${domain}`, 'A'),
    port.resolve(`sip.${domain}`, 'CNAME'),
  ]);

  const byFqdn = new Map<string, string[]>();
  for (const s of input.sites) byFqdn.set(canonicalName(s.edgeFqdn), [...(byFqdn.get(canonicalName(s.edgeFqdn)) ?? []), s.name]);
  const edgeAddresses = new Map<string, string>();
  for (const { site, answer } of edges) {
    const fqdn = canonicalName(site.edgeFqdn);
    const check = `Edge A record, site ${site.name}`;
    for (const a of site.expectedAddresses ?? []) edgeAddresses.set(a, site.name);
    if (answer.ok) for (const a of answer.value) edgeAddresses.set(a, site.name);
    if (fqdn === `sip.${domain}`) {
      items.push({ check, status: 'fail', evidence: `the Edge of site ${site.name} is named ${fqdn}; that name belongs to Microsoft 365`, fix: `rename the Access Edge pool (ExternalSIPPoolName in CloudConnector.ini), e.g. ap.${domain}` });
      continue;
    }
    const sharing = byFqdn.get(fqdn) ?? [];
    if (sharing.length > 1 && sharing[0] === site.name) {
      items.push({ check: `Edge FQDN per site`, status: 'fail', evidence: `sites ${sharing.join(', ')} share ${fqdn}; multi-site needs a different External Access FQDN per site (HA appliances of one site share one)`, fix: 'give each PSTN site its own ExternalSIPPoolName and DNS A record' });
    }
    if (!answer.ok) {
      items.push({ check, status: 'fail', evidence: answer.error.message, fix: answer.error.kind === 'nxdomain' || answer.error.kind === 'nodata' ? `add an A record ${fqdn} with the external address of every Edge of site ${site.name} (${STEP4})` : 'check the DNS server this bot queries (NETWORK_DNS_SERVERS) and retry' });
      continue;
    }
    const seen = answer.value;
    const expected = site.expectedAddresses ?? [];
    const missing = expected.filter((a) => !seen.includes(a));
    const extra = expected.length ? seen.filter((a) => !expected.includes(a)) : [];
    const ha = seen.length > 1 ? ` (HA: ${seen.length} Edges)` : '';
    if (missing.length) {
      items.push({ check, status: 'fail', evidence: `${fqdn} → ${seen.join(', ')}; missing ${missing.join(', ')}`, fix: `add ${missing.join(', ')} to the A record ${fqdn}: one record per site with the addresses of all its Edges (${STEP4})` });
    } else if (extra.length) {
      items.push({ check, status: 'warn', evidence: `${fqdn} → ${seen.join(', ')}; ${extra.join(', ')} is not an Edge of site ${site.name}`, fix: `remove ${extra.join(', ')} from the A record ${fqdn}` });
    } else {
      items.push({ check, status: 'pass', evidence: `${fqdn} → ${seen.join(', ')}${ha}` });
    }
  }

  items.push(sipTls, federation);
  items.push(sipRecordItem(domain, sipA, sipCname, edgeAddresses, new Set(input.sites.map((s) => canonicalName(s.edgeFqdn)))));
  return items;
}

async function srvItem(port: NetworkPort, name: string): Promise<CheckItem> {
  const check = `SRV ${name}`;
  const answer = await port.resolve(name, 'SRV');
  if (!answer.ok) {
    const missing = answer.error.kind === 'nxdomain' || answer.error.kind === 'nodata';
    return { check, status: 'fail', evidence: answer.error.message, fix: missing ? `Microsoft 365 creates this record: finish the domain setup in the Microsoft 365 admin center (procedure step 3), then confirm ${name} resolves` : 'check the DNS server this bot queries (NETWORK_DNS_SERVERS) and retry' };
  }
  const targets = await Promise.all(answer.value.map(async (r) => ({ r, a: await port.resolve(r.name, 'A') })));
  const parts = targets.map(({ r, a }) => `${describeSrv(r)} → ${a.ok ? a.value.join(', ') : a.error.kind}`);
  const broken = targets.filter(({ a }) => !a.ok).map(({ r }) => r.name);
  if (broken.length) return { check, status: 'warn', evidence: `${parts.join('; ')}`, fix: `the target ${broken.join(', ')} does not resolve; check the record's target` };
  return { check, status: 'pass', evidence: parts.join('; ') };
}

function describeSrv(r: SrvRecord): string {
  return `${r.name}:${r.port} (priority ${r.priority}, weight ${r.weight})`;
}

function sipRecordItem(domain: string, a: NetResult<string[]>, cname: NetResult<string[]>, edges: Map<string, string>, edgeNames: Set<string>): CheckItem {
  const check = `sip.${domain}`;
  const fix = `delete the record sip.${domain} that points at the Edge: this name belongs to Microsoft 365 (planning doc, DNS requirements)`;
  if (cname.ok) {
    const target = cname.value.find((t) => edgeNames.has(t));
    if (target) return { check, status: 'warn', evidence: `sip.${domain} is an alias of ${target}, the Cloud Connector Edge`, fix };
  }
  if (!a.ok) {
    if (a.error.kind === 'nxdomain' || a.error.kind === 'nodata') return { check, status: 'pass', evidence: `sip.${domain} has no A record here, so it does not point at a Cloud Connector Edge` };
    return { check, status: 'warn', evidence: a.error.message, fix: 'check the DNS server this bot queries (NETWORK_DNS_SERVERS) and retry' };
  }
  const atEdge = a.value.filter((x) => edges.has(x));
  if (atEdge.length) return { check, status: 'warn', evidence: `sip.${domain} → ${a.value.join(', ')}: ${atEdge.map((x) => `${x} is the Cloud Connector Edge of site ${edges.get(x)}`).join('; ')}`, fix };
  return { check, status: 'pass', evidence: `sip.${domain} → ${a.value.join(', ')}, not a Cloud Connector Edge` };
}
