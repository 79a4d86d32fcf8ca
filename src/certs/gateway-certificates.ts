/**
 * The gateway certificates of seed step 2 as the runner and the commands see them: what the bot holds for a
 * gateway (keys, PFX files), the checks an issued certificate must pass before it is packed, and the
 * approved operations themselves. What an operation makes goes to the requester alone: the CSR as a file;
 * a PFX as a one-time link, its password in a second message. Neither the password nor a key is returned
 * for storing with the request, and nothing here logs one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CertificateStep } from '../model/plan';
import type { CheckItem } from '../model/check';
import type { OutgoingMessage } from '../model/people';
import type { SealedItems } from '../model/sealed-items';
import type { CaMaterial } from './authority';
import { KeyStore, readKeyStoreSecret, type DownloadResponse, type StoredItem } from './key-store';
import { importCertificate, issueCertificate, requestCertificate, type PfxDelivery } from './operations';

export interface CertificateMaterial {
  /** The Cloud Connector root (and intermediates) a gateway certificate must chain to. */
  roots: string[];
  /** Labs only: a CA key the bot holds, for `cert issue`. */
  labCa?: CaMaterial;
}

export interface GatewayCertificatesOptions {
  /** Absent when no key-store secret is configured: the operations then refuse with `unavailable`. */
  keyStore?: KeyStore;
  unavailable?: string;
  material: () => Promise<CertificateMaterial>;
  /** The bot's public address for download links (PUBLIC_URL), e.g. https://switchboard.contoso.com. */
  publicUrl?: string | undefined;
  linkTtlMs: number;
}

/** What one operation made: the checks (the run's verification), the messages for the requester, and what may be audited. */
export interface CertificateResult {
  items: CheckItem[];
  /** To the requester's personal chat, in order (the link and the password are two messages). */
  deliveries: OutgoingMessage[];
  /** No secret: ids, names, fingerprints, expiry. */
  record: Record<string, string>;
}

export class CertificateUnavailable extends Error {
  override name = 'CertificateUnavailable';
}

export class GatewayCertificates {
  /** Local mode without PUBLIC_URL: the address the bot listens on. */
  private listening: string | undefined;

  constructor(private readonly options: GatewayCertificatesOptions) {}

  /** Local mode: links point at the address the bot listens on when PUBLIC_URL is not set. */
  listeningAt(url: string): void {
    this.listening = url;
  }

  private get publicUrl(): string | undefined {
    return this.options.publicUrl ?? this.listening;
  }

  /** Why key-producing commands cannot run here (one line), or undefined when they can. */
  unavailable(operation: CertificateStep['operation']): string | undefined {
    if (!this.options.keyStore) return this.options.unavailable ?? 'No key store is configured: set KEY_STORE_SECRET_FILE to a file of at least 32 random bytes.';
    if (operation !== 'request' && !this.publicUrl) return 'PUBLIC_URL is not set: the PFX is delivered through a link to this bot, so it needs the address people reach it at (e.g. https://switchboard.contoso.com).';
    return undefined;
  }

  async material(): Promise<CertificateMaterial> {
    return this.options.material();
  }

  /** What the bot holds for a gateway, as the approver sees it and the runner checks again before running. */
  async held(gateway: string): Promise<{ keys: StoredItem[]; pfx: StoredItem[] }> {
    const store = this.options.keyStore;
    if (!store) return { keys: [], pfx: [] };
    const [keys, pfx] = await Promise.all([store.list('private-key', gateway), store.list('pfx', gateway)]);
    return { keys, pfx };
  }

  /**
   * The checks of `cert import` without packing anything: shown on the approval card, and a failure refuses
   * the request. Throws CertificateOperationError (one line) when there is no key or no root to check against.
   */
  async checkIssued(gateway: string, certificatePem: string): Promise<CheckItem[]> {
    return (await importCertificate(gateway, certificatePem, await this.deps(this.requireStore('import')), { pack: false })).items;
  }

  /** Runs an approved certificate step. Throws CertificateUnavailable (one line) when it cannot run here. */
  async run(step: CertificateStep): Promise<CertificateResult> {
    const keyStore = this.requireStore(step.operation);
    const gateway = step.gateway;
    switch (step.operation) {
      case 'request': {
        const { csrPem, keyId } = await requestCertificate(gateway, { keyStore });
        return {
          items: [
            { check: 'key', status: 'pass', evidence: `new 2048-bit RSA key for ${gateway}, kept encrypted by Switchboard (never sent)` },
            { check: 'CSR', status: 'pass', evidence: `CN=${gateway}, DNS SAN ${gateway}, extended key usage serverAuth and clientAuth, SHA-256` },
          ],
          deliveries: [
            {
              text: `The CSR for ${gateway} is attached (${gateway}.csr). Submit it to the Cloud Connector CA with the Web Server template, e.g. on the CCE Active Directory computer: certreq -submit -attrib "CertificateTemplate:WebServer" ${gateway}.csr ${gateway}.cer. Then bring the certificate back: cert import ${gateway}, with the .cer attached or pasted.`,
              file: { name: `${gateway}.csr`, contentType: 'application/pkcs10', text: csrPem },
            },
          ],
          record: { keyId },
        };
      }
      case 'import': {
        const deps = await this.deps(keyStore);
        const result = await importCertificate(gateway, step.certificatePem ?? '', deps);
        return { items: result.items, deliveries: result.delivery ? pfxMessages(gateway, result.delivery) : [], record: result.delivery ? pfxRecord(result.delivery) : {} };
      }
      case 'issue': {
        const deps = await this.deps(keyStore);
        if (!deps.ca) throw new CertificateUnavailable('No lab CA key is configured (CCE_CA_KEY_FILE): cert issue is for labs whose CA key the bot holds.');
        const result = await issueCertificate(gateway, deps);
        return { items: result.items, deliveries: result.delivery ? pfxMessages(gateway, result.delivery) : [], record: result.delivery ? pfxRecord(result.delivery) : {} };
      }
    }
  }

  /** Maintenance: PFX files whose link expired unused are deleted (they hold the gateway's key). */
  async sweep(): Promise<number> {
    return (await this.options.keyStore?.sweep()) ?? 0;
  }

  /** GET /download/<token>: the one-time link's file, or a short refusal. */
  async download(url: string): Promise<DownloadResponse> {
    const store = this.options.keyStore;
    const refusal = (status: number, message: string): DownloadResponse => ({ status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' }, body: Buffer.from(message) });
    if (!store) return refusal(404, 'No such download.');
    try {
      return await store.handleDownload(url);
    } catch {
      // The database away, or an item sealed under another secret: the link is spent, a new one is an ask away.
      return refusal(500, 'The file could not be read. Ask the bot for a new link.');
    }
  }

  private requireStore(operation: CertificateStep['operation']): KeyStore {
    const why = this.unavailable(operation);
    if (why || !this.options.keyStore) throw new CertificateUnavailable(why ?? 'No key store is configured.');
    return this.options.keyStore;
  }

  private async deps(keyStore: KeyStore) {
    const { roots, labCa } = await this.material();
    const base = (this.publicUrl ?? '').replace(/\/+$/, '');
    return { keyStore, roots, ...(labCa ? { ca: labCa } : {}), linkBase: `${base}/download/`, ttlMs: this.options.linkTtlMs };
  }
}

/** The link and the password as two messages, so a forwarded or screenshotted link alone opens nothing. */
function pfxMessages(gateway: string, d: PfxDelivery): OutgoingMessage[] {
  const until = `${d.expiresAt.toISOString().slice(11, 16)} UTC`;
  return [
    { text: `The PFX for ${gateway} (key, certificate and chain) is ready: ${d.link} downloads ${d.filename} once, until ${until}. Its password follows in the next message.` },
    { text: `Password of ${d.filename}: ${d.password} (shown only here; import the PFX on the gateway with it, then delete this message).` },
  ];
}

function pfxRecord(d: PfxDelivery): Record<string, string> {
  return { file: d.filename, linkExpiresAt: d.expiresAt.toISOString() };
}

export interface GatewayCertificatesConfig {
  DATA_DIR: string;
  TENANT_BACKEND: string;
  KEY_STORE_SECRET?: string | undefined;
  KEY_STORE_SECRET_FILE?: string | undefined;
  DOWNLOAD_LINK_TTL_MINUTES?: number | undefined;
  PUBLIC_URL?: string | undefined;
}

/**
 * The key store, sealed with the configured secret: under DATA_DIR/keys, or in `shared` (the database
 * several instances use). Without a secret, the demo and the stand-in (never the real tenant) on one
 * instance make their own, kept beside the data and said so in the log; against a real tenant, or shared
 * by instances that must all hold the same secret, the key-producing commands refuse until
 * KEY_STORE_SECRET_FILE is set.
 */
export function createGatewayCertificates(
  config: GatewayCertificatesConfig,
  material: () => Promise<CertificateMaterial>,
  warn: (message: string) => void,
  options: { shared?: SealedItems | undefined; now?: () => number } = {},
): GatewayCertificates {
  const { shared, now } = options;
  let secret = readKeyStoreSecret(config);
  if (!secret && config.TENANT_BACKEND !== 'powershell' && !shared) {
    const file = path.join(path.resolve(config.DATA_DIR), 'key-store.secret');
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
      warn(`No KEY_STORE_SECRET_FILE: gateway keys are sealed with a secret made for this demo data folder (${file}); set KEY_STORE_SECRET_FILE before holding real keys.`);
    }
    secret = readKeyStoreSecret({ KEY_STORE_SECRET_FILE: file });
  }
  return new GatewayCertificates({
    ...(secret
      ? { keyStore: new KeyStore({ ...(shared ? { items: shared } : { dir: path.join(path.resolve(config.DATA_DIR), 'keys') }), secret, ...(now ? { now } : {}) }) }
      : { unavailable: `No key store secret is configured: set KEY_STORE_SECRET_FILE (at least 32 random bytes, outside DATA_DIR${shared ? ', the same on every instance' : ''}) to make and hold gateway keys.` }),
    material,
    publicUrl: config.PUBLIC_URL,
    linkTtlMs: (config.DOWNLOAD_LINK_TTL_MINUTES ?? 15) * 60_000,
  });
}
