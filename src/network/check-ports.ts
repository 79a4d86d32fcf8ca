/**
 * `check ports <site>`: the TCP destination ports of the planning doc's firewall tables ("Ports and
 * protocols") toward the site's Edges, Mediation Servers and gateways, probed with a TCP connect from where
 * the bot runs. Probes run in parallel under a cap and inside one time budget, so a peer that never answers
 * costs one timeout, not the check. UDP and media ranges are listed with the reason a probe cannot verify them.
 */
import type { CheckItem } from '../model/check';
import type { Site } from './inventory-types';
import type { NetworkPort } from './port';

export interface PortRow {
  /** "Edge", "Mediation Server", "gateway" */
  role: string;
  target: string;
  /** The address probed, when resolved. */
  address?: string;
  /** e.g. "TCP 5061" */
  port: string;
  purpose: string;
  expected: 'open' | 'not verifiable by a probe';
  /** "open", "closed (refused)", "no answer in 1500 ms", "not probed: …" */
  seen: string;
  status: CheckItem['status'];
  ms?: number;
}

export interface PortsReport {
  site: string;
  rows: PortRow[];
  items: CheckItem[];
  elapsedMs: number;
}

export interface PortsOptions {
  /** Per probe. */
  timeoutMs?: number;
  /** Probes in flight at once. */
  concurrency?: number;
  /** The whole check, DNS included; probes that cannot start in time are reported, not run. */
  budgetMs?: number;
}

interface Probe {
  role: string;
  target: string;
  port: number;
  label: string;
  purpose: string;
  /** Known address (an inventory IP or an HA Edge address); otherwise the target is resolved. */
  address?: string;
}

/** The rows no TCP connect can check, with why; from the planning doc's four tables. */
export function unverifiableRows(site: Site): PortRow[] {
  const udp = 'UDP has no handshake: a closed port and a dropped datagram look the same to a probe';
  const media = 'media ports open only while a call is set up; nothing listens to a probe';
  const outbound = 'outbound from the Edge: only a probe from the Edge itself can verify it';
  const rows: Array<[string, string, string, string]> = [
    ['Edge', site.edgeFqdn, 'UDP 3478', `STUN/TURN from Microsoft 365 and clients: ${udp}`],
    ['Edge', site.edgeFqdn, 'TCP 50,000-59,999', `external media range: ${media}`],
    ['Edge', site.edgeFqdn, 'UDP 50,000-59,999', `external media range: ${udp}; ${media}`],
    ['Edge', site.edgeFqdn, 'TCP 5061, TCP 80, TCP/UDP 53 to Any', outbound],
    ['Mediation Server', 'gateways', 'UDP 49,152-57,500', `media between gateways and Mediation Servers: ${udp}; ${media}`],
    ['Mediation Server', 'internal clients', 'TCP/UDP 50,000-50,019', `client media: ${media}`],
  ];
  return rows.map(([role, target, port, purpose]) => ({ role, target, port, purpose, expected: 'not verifiable by a probe', seen: 'not probed', status: 'pass' }));
}

function probesFor(site: Site): Probe[] {
  const probes: Probe[] = [];
  for (const address of site.edgeAddresses?.length ? site.edgeAddresses : [site.edgeFqdn]) {
    const target = address === site.edgeFqdn ? site.edgeFqdn : `${site.edgeFqdn} (${address})`;
    const known = address === site.edgeFqdn ? {} : { address };
    probes.push({ role: 'Edge', target, port: 5061, label: 'TCP 5061', purpose: 'SIP (MTLS) from Microsoft 365', ...known });
    probes.push({ role: 'Edge', target, port: 443, label: 'TCP 443', purpose: 'media relay over TCP from Microsoft 365 and clients', ...known });
  }
  for (const ms of site.mediationServers) {
    const gws = site.gateways.filter((g) => g.mediationServers.includes(ms.fqdn));
    const transports = new Set(gws.length ? gws.map((g) => g.transport) : (['tcp', 'tls'] as const));
    if (transports.has('tcp')) probes.push({ role: 'Mediation Server', target: ms.fqdn, port: 5068, label: 'TCP 5068', purpose: 'SIP over TCP from the gateways' });
    if (transports.has('tls')) probes.push({ role: 'Mediation Server', target: ms.fqdn, port: 5067, label: 'TLS 5067', purpose: 'SIP over TLS from the gateways' });
  }
  for (const gw of site.gateways) {
    probes.push({ role: 'gateway', target: gw.fqdn, port: gw.port, label: `${gw.transport === 'tls' ? 'TLS' : 'TCP'} ${gw.port}`, purpose: 'SIP from the Mediation Servers (the port configured on the gateway)' });
  }
  return probes;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function checkPorts(port: NetworkPort, site: Site, options: PortsOptions = {}): Promise<PortsReport> {
  const timeoutMs = options.timeoutMs ?? 1500;
  const concurrency = options.concurrency ?? 16;
  const started = Date.now();
  const deadline = started + (options.budgetMs ?? 4000);
  const addressOf = await resolveTargets(port, site, Math.min(timeoutMs, 2000));
  const probes = probesFor(site);
  const rows = await mapLimit(probes, concurrency, async (p): Promise<PortRow> => {
    const host = p.address ?? addressOf.get(p.target);
    const base = { role: p.role, target: p.target, port: p.label, purpose: p.purpose, expected: 'open' as const };
    if (host === undefined) return { ...base, seen: `not probed: ${p.target} does not resolve`, status: 'fail' };
    const remaining = deadline - Date.now();
    if (remaining < 50) return { ...base, address: host, seen: 'not probed: the time budget ran out', status: 'warn' };
    const r = await port.probeTcp(host, p.port, Math.min(timeoutMs, remaining));
    if (r.ok) return { ...base, address: host, seen: 'open', status: 'pass', ms: r.ms };
    const seen = r.error.kind === 'refused' ? 'closed (connection refused)' : r.error.kind === 'timeout' ? `no answer in ${r.ms} ms (filtered, or the host is down)` : r.error.message;
    return { ...base, address: host, seen, status: 'fail', ms: r.ms };
  });
  const all = [...rows, ...unverifiableRows(site)];
  const items: CheckItem[] = rows.map((r) => ({
    check: `${r.role} ${r.target} ${r.port}`,
    status: r.status,
    evidence: `${r.purpose}: expected open, seen ${r.seen}${r.address && !r.target.includes(r.address) ? ` at ${r.address}` : ''}`,
    ...(r.status === 'pass' ? {} : { fix: `open ${r.port} toward ${r.target} in the ${r.role === 'Edge' ? 'external' : 'internal'} firewall, and check that the service listens (procedure step 1)` }),
  }));
  items.push({ check: 'UDP and media ranges', status: 'pass', evidence: `not verifiable by a probe (${unverifiableRows(site).map((r) => `${r.role} ${r.port}`).join('; ')}): UDP has no handshake and media ports open only during a call; check them in the firewall rules` });
  return { site: site.name, rows: all, items, elapsedMs: Date.now() - started };
}

/** FQDN → address through the port's DNS (the configured server), so probes and `check dns` agree. */
async function resolveTargets(port: NetworkPort, site: Site, timeoutMs: number): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  const named: Array<{ fqdn: string; ip?: string }> = [{ fqdn: site.edgeFqdn }, ...site.mediationServers, ...site.gateways];
  await Promise.all(
    named.map(async (n) => {
      if (n.ip) return map.set(n.fqdn, n.ip);
      if (/^[\d.]+$|:/.test(n.fqdn)) return map.set(n.fqdn, n.fqdn);
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([port.resolve(n.fqdn, 'A'), new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), timeoutMs + 500)))]);
      clearTimeout(timer);
      if (r?.ok && r.value[0]) map.set(n.fqdn, r.value[0]);
      return undefined;
    }),
  );
  return map;
}
