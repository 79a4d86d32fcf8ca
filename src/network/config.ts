/**
 * Settings of the network checks and the certificate commands, read from an env-like record and merged
 * into the app config (src/config.ts). Files are named here and read by loadNetworkMaterial(), which says
 * in one line what is wrong with them. The key-store secret is never logged (redactedNetworkConfig).
 */
import fs from 'node:fs';
import { z } from 'zod';
import { pemBlocks } from '../certs/authority';
import { readKeyStoreSecret } from '../certs/key-store';
import { InventorySchema, type Inventory } from './inventory-types';
import type { ClientCertificate } from './port';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(blankToUndefined, z.string().min(1).optional());
const count = (min: number, max: number, fallback: number) => z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).default(fallback));
const dnsServer = z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/, 'must be comma-separated DNS server addresses: ip, ip:port or [ipv6]:port');

export const NetworkConfig = z.object({
  /** sim (default: the demo contoso.com network) | real (this host's network). */
  NETWORK_BACKEND: z.preprocess(blankToUndefined, z.enum(['sim', 'real']).default('sim')),
  /** DNS servers the checks ask; empty = the system's resolvers. */
  NETWORK_DNS_SERVERS: z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : []),
    z.array(dnsServer),
  ),
  NETWORK_DNS_TIMEOUT_MS: count(100, 30_000, 2000),
  NETWORK_PROBE_TIMEOUT_MS: count(100, 30_000, 1500),
  /** JSON: { sipDomain, sites: [...] } (src/network/inventory-types.ts); the demo inventory without it. */
  NETWORK_INVENTORY_FILE: optionalText,
  /** The Cloud Connector root CA (PEM), exported from the CCE AD computer: what gateways must chain to. */
  CCE_ROOT_CA_FILE: optionalText,
  /** Labs only: the CA's private key (PEM), which enables `cert issue`. */
  CCE_CA_KEY_FILE: optionalText,
  /** The certificate and key the bot presents to gateways for MTLS (PEM). */
  MTLS_CLIENT_CERT_FILE: optionalText,
  MTLS_CLIENT_KEY_FILE: optionalText,
  /** Encrypts keys and PFX files at rest and signs download links: at least 32 bytes. Prefer the file. */
  KEY_STORE_SECRET: optionalText,
  KEY_STORE_SECRET_FILE: optionalText,
  DOWNLOAD_LINK_TTL_MINUTES: count(1, 24 * 60, 15),
});
export type NetworkConfig = z.output<typeof NetworkConfig>;

export interface NetworkMaterial {
  inventory?: Inventory;
  roots: string[];
  caKeyPem?: string;
  clientCert?: ClientCertificate;
  keyStoreSecret?: Buffer;
}

export class NetworkConfigError extends Error {
  override name = 'NetworkConfigError';
}

function read(file: string, setting: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new NetworkConfigError(`${setting}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** Reads the files the settings name; throws NetworkConfigError with one line saying which and why. */
export function loadNetworkMaterial(c: NetworkConfig): NetworkMaterial {
  const m: NetworkMaterial = { roots: [] };
  if (c.NETWORK_INVENTORY_FILE) {
    const parsed = InventorySchema.safeParse(JSON.parse(read(c.NETWORK_INVENTORY_FILE, 'NETWORK_INVENTORY_FILE')));
    if (!parsed.success) throw new NetworkConfigError(`NETWORK_INVENTORY_FILE: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    m.inventory = parsed.data;
  }
  if (c.CCE_ROOT_CA_FILE) {
    m.roots = pemBlocks(read(c.CCE_ROOT_CA_FILE, 'CCE_ROOT_CA_FILE'));
    if (m.roots.length === 0) throw new NetworkConfigError(`CCE_ROOT_CA_FILE: no PEM certificate in ${c.CCE_ROOT_CA_FILE}`);
  }
  if (c.CCE_CA_KEY_FILE) {
    if (!c.CCE_ROOT_CA_FILE) throw new NetworkConfigError('CCE_CA_KEY_FILE needs CCE_ROOT_CA_FILE (the certificate of that key)');
    m.caKeyPem = read(c.CCE_CA_KEY_FILE, 'CCE_CA_KEY_FILE');
  }
  if (Boolean(c.MTLS_CLIENT_CERT_FILE) !== Boolean(c.MTLS_CLIENT_KEY_FILE)) throw new NetworkConfigError('MTLS_CLIENT_CERT_FILE and MTLS_CLIENT_KEY_FILE go together: set both or neither');
  if (c.MTLS_CLIENT_CERT_FILE && c.MTLS_CLIENT_KEY_FILE) m.clientCert = { certPem: read(c.MTLS_CLIENT_CERT_FILE, 'MTLS_CLIENT_CERT_FILE'), keyPem: read(c.MTLS_CLIENT_KEY_FILE, 'MTLS_CLIENT_KEY_FILE') };
  let secret: Buffer | undefined;
  try {
    secret = readKeyStoreSecret(c);
  } catch (err) {
    throw new NetworkConfigError((err as Error).message);
  }
  if (secret) m.keyStoreSecret = secret;
  return m;
}

/** The settings as they may be logged. */
export function redactedNetworkConfig(c: NetworkConfig): NetworkConfig {
  return { ...c, ...(c.KEY_STORE_SECRET ? { KEY_STORE_SECRET: '[redacted]' } : {}) };
}
