/**
 * The key-producing certificate operations behind `cert request`, `cert import` and `cert issue`, for the
 * change commands to run once approved. Private keys go straight into the key store (encrypted); a PFX
 * leaves only as a one-time link, and its password is returned apart from the link so the two can be
 * sent in separate messages. Nothing here logs or returns a private key.
 */
import { createKeyAndCsr, importIssued, issueFromCsr, pemBlocks, type CaMaterial } from './authority';
import { certificateMatchesKey } from './keys';
import type { CheckItem } from '../model/check';
import { newPfxPassword, type KeyStore } from './key-store';

export interface CertDeps {
  keyStore: KeyStore;
  /** The Cloud Connector root (and intermediates), PEM. */
  roots: string[];
  /** Labs only: the CA key the bot holds, for `cert issue`. */
  ca?: CaMaterial;
  /** Prefix of download links, e.g. "https://switchboard.contoso.com/download/". */
  linkBase: string;
  ttlMs: number;
}

export interface PfxDelivery {
  /** The one-time link; send it in one message. */
  link: string;
  expiresAt: Date;
  filename: string;
  /** Send it in another message. */
  password: string;
}

export class CertificateOperationError extends Error {
  override name = 'CertificateOperationError';
}

/** A new key (kept, encrypted) and its CSR (public) for the gateway. */
export async function requestCertificate(fqdn: string, deps: Pick<CertDeps, 'keyStore'>): Promise<{ csrPem: string; keyId: string }> {
  const { keyPem, csrPem } = await createKeyAndCsr(fqdn);
  const item = await deps.keyStore.put('private-key', fqdn, Buffer.from(keyPem));
  return { csrPem, keyId: item.id };
}

/**
 * The held key of `cert request <fqdn>` that the certificate was issued for: any of them, newest first, so
 * a CSR submitted before a second `cert request` still imports. Without a match, the newest key, which
 * the import's own check then fails with its reason.
 */
export async function keyForCertificate(fqdn: string, issuedPem: string, keyStore: KeyStore): Promise<{ id: string; keyPem: string } | undefined> {
  const leaf = pemBlocks(issuedPem)[0];
  const read = async (id: string) => {
    const found = await keyStore.get(id);
    return found ? { id, keyPem: found.content.toString('utf8') } : undefined;
  };
  const items = (await keyStore.list('private-key', fqdn)).reverse();
  for (const item of leaf ? items : []) {
    const key = await read(item.id);
    try {
      if (key && certificateMatchesKey(leaf!, key.keyPem)) return key;
    } catch {
      break; // not a readable certificate: the import's checks say so
    }
  }
  return items[0] ? read(items[0].id) : undefined;
}

/**
 * Checks the issued certificate against the key of `cert request <fqdn>` it was made for; a PFX link when
 * all pass. With `pack: false` only the checks run (what the approver is shown before anything is made).
 */
export async function importCertificate(fqdn: string, issuedPem: string, deps: CertDeps, options: { pack?: boolean } = {}): Promise<{ items: CheckItem[]; delivery?: PfxDelivery }> {
  const key = await keyForCertificate(fqdn, issuedPem, deps.keyStore);
  if (!key) throw new CertificateOperationError(`Switchboard holds no key for ${fqdn}: run cert request ${fqdn} first and have its CSR signed.`);
  if (deps.roots.length === 0) throw new CertificateOperationError('No Cloud Connector root CA is configured (CCE_ROOT_CA_FILE): the chain cannot be checked.');
  const password = options.pack === false ? undefined : newPfxPassword();
  const result = await importIssued({ fqdn, issuedPem, keyPem: key.keyPem, caPem: deps.roots.join(''), ...(password ? { password } : {}) });
  if (!result.pfx || !password) return { items: result.items };
  return { items: result.items, delivery: await deliver(fqdn, result.pfx, password, deps) };
}

/** Labs: key, CSR, certificate signed by the CA key the bot holds, and the PFX link. */
export async function issueCertificate(fqdn: string, deps: CertDeps, options: { days?: number } = {}): Promise<{ items: CheckItem[]; certPem: string; delivery?: PfxDelivery }> {
  if (!deps.ca) throw new CertificateOperationError('No CA key is configured (CCE_CA_KEY_FILE): cert issue is for labs that hold one.');
  const { csrPem, keyId } = await requestCertificate(fqdn, deps);
  const certPem = issueFromCsr(csrPem, deps.ca, options.days ? { days: options.days } : {});
  const key = (await deps.keyStore.get(keyId))!;
  const password = newPfxPassword();
  const result = await importIssued({ fqdn, issuedPem: certPem, keyPem: key.content.toString('utf8'), caPem: [deps.ca.certPem, ...deps.roots].join(''), password });
  return result.pfx ? { items: result.items, certPem, delivery: await deliver(fqdn, result.pfx, password, deps) } : { items: result.items, certPem };
}

async function deliver(fqdn: string, pfx: Buffer, password: string, deps: CertDeps): Promise<PfxDelivery> {
  const item = await deps.keyStore.put('pfx', fqdn, pfx, { linkTtlMs: deps.ttlMs });
  const filename = `${fqdn}.pfx`;
  const { token, expiresAt } = deps.keyStore.createDownloadToken(item.id, { expiresAt: new Date(item.expiresAt!), filename, contentType: 'application/x-pkcs12' });
  return { link: `${deps.linkBase}${token}`, expiresAt, filename, password };
}
