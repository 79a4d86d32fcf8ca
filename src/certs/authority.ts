/**
 * The certificates of the procedure's step 2 (MTLS between gateways and Mediation Servers): the Cloud
 * Connector CA's root for the gateway vendor to import, a key and CSR per gateway (CN and DNS SAN = the
 * gateway FQDN), the issued certificate checked and packed into a password-protected PFX, and for labs a
 * certificate signed with a CA key the bot holds. SHA-256 everywhere; forge's sign() defaults to SHA-1.
 */
import { randomBytes, verify as nativeVerify, X509Certificate } from 'node:crypto';
import type forge from 'node-forge';
import { nodeForge } from './forge';
import { certificateMatchesKey, generateRsaKey, nativeSha256Signer } from './keys';
import { buildPfx } from './pfx';
import { inspectCertificate, nameMatches, verifyChain, type CertificateFacts } from './inspect';
import type { CheckItem } from '../model/check';

export interface RootExport {
  pem: string;
  der: Buffer;
  subject: string;
  fingerprint256: string;
  notAfter: Date;
}

/** Reads the first certificate of a PEM file's text; refuses anything that is not a CA certificate. */
export function exportRoot(caPem: string): RootExport {
  const pem = firstPem(caPem);
  const x = new X509Certificate(pem);
  if (!x.ca) throw new Error('the configured CA file holds a certificate that is not a CA (basicConstraints CA:FALSE)');
  return { pem, der: x.raw, subject: x.subject.replace(/\n/g, ', '), fingerprint256: x.fingerprint256, notAfter: new Date(x.validTo) };
}

export function pemBlocks(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

function firstPem(text: string): string {
  const first = pemBlocks(text)[0];
  if (!first) throw new Error('no PEM certificate found');
  return first;
}

export interface KeyAndCsr {
  keyPem: string;
  csrPem: string;
}

/** A new 2048-bit key and a CSR with CN and DNS SAN equal to the gateway FQDN, as the seed doc asks. */
export async function createKeyAndCsr(fqdn: string, bits = 2048): Promise<KeyAndCsr> {
  const key = await generateRsaKey(bits);
  const csr = nodeForge().pki.createCertificationRequest();
  csr.publicKey = key.publicKey;
  csr.setSubject([{ name: 'commonName', value: fqdn }]);
  csr.setAttributes([
    {
      name: 'extensionRequest',
      extensions: [
        { name: 'subjectAltName', altNames: [{ type: 2, value: fqdn }] },
        // MTLS: the gateway is server toward the Mediation Server and client when it calls out.
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      ],
    },
  ]);
  const signer = nativeSha256Signer(key.keyPem);
  csr.sign(signer.key, signer.md);
  return { keyPem: key.keyPem, csrPem: nodeForge().pki.certificationRequestToPem(csr) };
}

// sha256WithRSAEncryption, sha384WithRSAEncryption, sha512WithRSAEncryption (RFC 4055), written out so that
// loading this module does not load forge.
const CSR_HASHES: Record<string, string> = { '1.2.840.113549.1.1.11': 'sha256', '1.2.840.113549.1.1.12': 'sha384', '1.2.840.113549.1.1.13': 'sha512' };

/** The CSR's self-signature, checked natively (forge's verify() is JavaScript RSA: tens of ms on the event loop). */
function csrSignatureVerifies(csr: forge.pki.CertificateSigningRequest): boolean {
  const hash = CSR_HASHES[csr.signatureOid ?? ''];
  const info = (csr as unknown as { certificationRequestInfo?: forge.asn1.Asn1 }).certificationRequestInfo;
  if (!hash || !info || !csr.publicKey) return false;
  const data = Buffer.from(nodeForge().asn1.toDer(info).getBytes(), 'binary');
  const signature = Buffer.from(csr.signature as string, 'binary');
  return nativeVerify(hash, data, nodeForge().pki.publicKeyToPem(csr.publicKey), signature);
}

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  days?: number;
  now?: Date;
}

/** Lab only: signs a CSR with the CA key the bot holds, as the CCE CA's Web Server template would. */
export function issueFromCsr(csrPem: string, ca: CaMaterial, options: IssueOptions = {}): string {
  const csr = nodeForge().pki.certificationRequestFromPem(csrPem);
  if (!csrSignatureVerifies(csr)) throw new Error('the CSR signature does not verify');
  const caCert = nodeForge().pki.certificateFromPem(ca.certPem);
  const now = options.now ?? new Date();
  const cert = nodeForge().pki.createCertificate();
  cert.publicKey = csr.publicKey as forge.pki.rsa.PublicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`; // positive, at most 20 octets
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + (options.days ?? 365) * 86_400_000);
  cert.setSubject(csr.subject.attributes);
  cert.setIssuer(caCert.subject.attributes);
  const requested = (csr.getAttribute({ name: 'extensionRequest' }) as { extensions?: object[] } | null)?.extensions ?? [];
  const san = requested.filter((e) => (e as { name?: string }).name === 'subjectAltName');
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    ...san,
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  const signer = nativeSha256Signer(ca.keyPem);
  cert.sign(signer.key, signer.md);
  return nodeForge().pki.certificateToPem(cert);
}

/** A self-signed root for labs and tests (the CCE CA's role). */
export async function createLabRoot(commonName: string, options: { days?: number; now?: Date } = {}): Promise<CaMaterial> {
  const key = await generateRsaKey(2048);
  const now = options.now ?? new Date();
  const cert = nodeForge().pki.createCertificate();
  cert.publicKey = key.publicKey;
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(now.getTime() - 5 * 60_000);
  cert.validity.notAfter = new Date(now.getTime() + (options.days ?? 3650) * 86_400_000);
  const subject = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'Switchboard lab' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const signer = nativeSha256Signer(key.keyPem);
  cert.sign(signer.key, signer.md);
  return { certPem: nodeForge().pki.certificateToPem(cert), keyPem: key.keyPem };
}

export interface ImportInput {
  fqdn: string;
  /** The issued certificate as pasted or attached; intermediates may follow it. */
  issuedPem: string;
  keyPem: string;
  /** The root CA (and any intermediates) the certificate must chain to. */
  caPem: string;
  /** Without a password, only the checks run (what the approver is shown); no PFX is made. */
  password?: string;
  now?: Date;
}

export interface ImportResult {
  items: CheckItem[];
  facts?: CertificateFacts;
  /** Only when no item failed. */
  pfx?: Buffer;
}

/** Checks the issued certificate against the key, the FQDN, the chain and the dates, then packs the PFX. */
export async function importIssued(input: ImportInput): Promise<ImportResult> {
  const now = input.now ?? new Date();
  const fqdn = input.fqdn.toLowerCase();
  const blocks = pemBlocks(input.issuedPem);
  const leaf = blocks[0];
  if (!leaf) return { items: [{ check: 'certificate', status: 'fail', evidence: 'no PEM certificate (-----BEGIN CERTIFICATE-----) in what was given', fix: `paste the issued certificate for ${fqdn} in Base-64 (PEM) form` }] };
  let facts: CertificateFacts;
  try {
    facts = inspectCertificate(leaf, now);
  } catch (err) {
    return { items: [{ check: 'certificate', status: 'fail', evidence: `not a readable certificate: ${(err as Error).message}` }] };
  }
  const items: CheckItem[] = [];
  const matches = certificateMatchesKey(leaf, input.keyPem);
  items.push(
    matches
      ? { check: 'matches the key', status: 'pass', evidence: `the certificate carries the public key of the key made by cert request ${fqdn}` }
      : { check: 'matches the key', status: 'fail', evidence: 'the certificate was issued for a different key', fix: `submit the CSR from the latest \`cert request ${fqdn}\`` },
  );
  items.push(...nameItems(facts, fqdn));
  const caBlocks = pemBlocks(input.caPem);
  const roots = caBlocks.filter((p) => new X509Certificate(p).ca && isSelfSigned(p));
  const intermediates = caBlocks.filter((p) => !roots.includes(p));
  const chain = [leaf, ...blocks.slice(1), ...intermediates];
  const verdict = verifyChain(chain, roots.length ? roots : caBlocks, now);
  items.push(verdict.ok ? { check: 'chain', status: 'pass', evidence: verdict.detail } : { check: 'chain', status: 'fail', evidence: verdict.detail, fix: 'have the certificate issued by the Cloud Connector CA (its root is what `cert root` shows)' });
  items.push(validityItem(facts, now));
  items.push(ekuItem(facts));
  if (items.some((i) => i.status === 'fail') || input.password === undefined) return { items, facts };
  const pfx = await buildPfx({ keyPem: input.keyPem, chainPem: [...new Set(chain.concat(roots))], password: input.password, friendlyName: fqdn });
  return { items, facts, pfx };
}

function isSelfSigned(pem: string): boolean {
  const x = new X509Certificate(pem);
  return x.checkIssued(x) && x.verify(x.publicKey);
}

export function nameItems(facts: CertificateFacts, fqdn: string): CheckItem[] {
  const cnOk = facts.subjectCn !== undefined && nameMatches(facts.subjectCn, fqdn);
  const sanOk = facts.dnsNames.some((n) => nameMatches(n, fqdn));
  return [
    cnOk
      ? { check: 'subject CN', status: 'pass', evidence: `CN=${facts.subjectCn}` }
      : { check: 'subject CN', status: 'fail', evidence: `CN=${facts.subjectCn ?? '(none)'}, expected ${fqdn}`, fix: `request the certificate with Common name ${fqdn} (\`cert request ${fqdn}\`)` },
    sanOk
      ? { check: 'DNS SAN', status: 'pass', evidence: `DNS names: ${facts.dnsNames.join(', ')}` }
      : { check: 'DNS SAN', status: 'fail', evidence: `DNS names: ${facts.dnsNames.join(', ') || '(none)'}; ${fqdn} is not among them`, fix: `request the certificate with DNS name ${fqdn} in the Alternative name (\`cert request ${fqdn}\`)` },
  ];
}

/** Days left under which a certificate is a warning: time to renew before calls fail. */
export const RENEW_WITHIN_DAYS = 30;

export function validityItem(facts: CertificateFacts, now: Date): CheckItem {
  const range = `valid ${facts.notBefore.toISOString().slice(0, 10)} to ${facts.notAfter.toISOString().slice(0, 10)}`;
  if (facts.notBefore > now) return { check: 'validity', status: 'fail', evidence: `${range}: not valid yet`, fix: 'check the clock of the issuing CA and of this host' };
  if (facts.daysLeft < 0) return { check: 'validity', status: 'fail', evidence: `${range}: expired ${-facts.daysLeft} days ago`, fix: 'renew the certificate' };
  if (facts.daysLeft < RENEW_WITHIN_DAYS) return { check: 'validity', status: 'warn', evidence: `${range}: ${facts.daysLeft} days left`, fix: 'renew the certificate before it expires' };
  return { check: 'validity', status: 'pass', evidence: `${range}: ${facts.daysLeft} days left` };
}

export function ekuItem(facts: CertificateFacts): CheckItem {
  const ku = facts.keyUsage ? `; key usage: ${facts.keyUsage.join(', ')}` : '';
  if (!facts.hasEku) return { check: 'key usage for MTLS', status: 'pass', evidence: `no extended key usage extension (any purpose)${ku}` };
  const missing = [facts.serverAuth ? '' : 'serverAuth', facts.clientAuth ? '' : 'clientAuth'].filter(Boolean);
  if (missing.length === 0) return { check: 'key usage for MTLS', status: 'pass', evidence: `extended key usage serverAuth, clientAuth${ku}` };
  return { check: 'key usage for MTLS', status: 'fail', evidence: `extended key usage lacks ${missing.join(' and ')}${ku}`, fix: 'issue the certificate from a template with both Server Authentication and Client Authentication' };
}
