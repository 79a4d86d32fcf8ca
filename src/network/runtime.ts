/**
 * The network as the commands see it: the port (simulated demo network by default, or this host's
 * network), the fallback site inventory, the Cloud Connector root, the bot's MTLS certificate and the
 * timeouts. Composed once at start from configuration (configureNetworkRuntime). The default backend is
 * the demo network, whose names match the demo tenant's sites (Seattle, Amsterdam).
 */
import { demoNetwork } from './demo-network';
import { loadNetworkMaterial, NetworkConfig } from './config';
import type { Inventory, Site } from './inventory-types';
import type { ClientCertificate, NetworkPort } from './port';
import type { CaMaterial } from '../certs/authority';
import { RealNetwork } from './real';
import { fromModelSite } from './model-sites';
import type { Site as ModelSite } from '../model/inventory';

export interface NetworkRuntime {
  port: NetworkPort;
  /** Where no site of that name is in the bot's store. */
  inventory: Inventory;
  roots: string[];
  /** Labs only: the CA key `cert issue` signs with (the demo network's own CA, or CCE_CA_KEY_FILE). */
  labCa?: CaMaterial;
  clientCert?: ClientCertificate;
  probeTimeoutMs: number;
  gatewayTimeoutMs: number;
  /** One line for cards: "simulated demo network", "this host's network (DNS 192.0.2.53)". */
  where: string;
}

let current: Promise<NetworkRuntime> | undefined;

async function demoRuntime(): Promise<NetworkRuntime> {
  const demo = await demoNetwork();
  return { port: demo.network, inventory: demo.inventory, roots: [demo.ca.certPem], labCa: demo.ca, clientCert: demo.clientCert, probeTimeoutMs: 1500, gatewayTimeoutMs: 3000, where: 'the simulated demo network' };
}

/** Called once at start; throws NetworkConfigError (one line) for a file that cannot be used. */
export function configureNetworkRuntime(config: NetworkConfig): void {
  if (config.NETWORK_BACKEND === 'sim') {
    current = demoRuntime();
    return;
  }
  const m = loadNetworkMaterial(config);
  const runtime: NetworkRuntime = {
    port: new RealNetwork({ dnsServers: config.NETWORK_DNS_SERVERS, dnsTimeoutMs: config.NETWORK_DNS_TIMEOUT_MS }),
    inventory: m.inventory ?? { sipDomain: 'contoso.com', sites: [] },
    roots: m.roots,
    ...(m.caKeyPem && m.roots[0] ? { labCa: { certPem: m.roots[0], keyPem: m.caKeyPem } } : {}),
    ...(m.clientCert ? { clientCert: m.clientCert } : {}),
    probeTimeoutMs: config.NETWORK_PROBE_TIMEOUT_MS,
    gatewayTimeoutMs: Math.max(3000, config.NETWORK_PROBE_TIMEOUT_MS * 2),
    where: `this host's network${config.NETWORK_DNS_SERVERS.length ? ` (DNS ${config.NETWORK_DNS_SERVERS.join(', ')})` : ''}`,
  };
  current = Promise.resolve(runtime);
}

/** For tests: a runtime of their own (e.g. the real network against local peers). */
export function useNetworkRuntime(runtime: NetworkRuntime | undefined): void {
  current = runtime ? Promise.resolve(runtime) : undefined;
}

/**
 * The runtime; if start-up did not configure it, from the network settings in the environment (which
 * main.ts has loaded from .env), so NETWORK_BACKEND=real is never silently the demo network.
 */
export function networkRuntime(): Promise<NetworkRuntime> {
  if (!current) configureNetworkRuntime(NetworkConfig.parse(process.env));
  return current!;
}

/** The sites to check: the bot's own inventory (store) first, then the runtime's by name. */
export function mergeSites(stored: readonly ModelSite[], runtime: Inventory): Site[] {
  const fromStore = stored.map(fromModelSite);
  const names = new Set(fromStore.map((s) => s.name.toLowerCase()));
  return [...fromStore, ...runtime.sites.filter((s) => !names.has(s.name.toLowerCase()))];
}
