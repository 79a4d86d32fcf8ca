/**
 * Reading a certificate the way the admin needs it: subject CN, DNS SANs, issuer, validity and days left,
 * key usage and extended key usage, and whether a chain leads to the configured root. Node's X509Certificate
 * does the parsing and signature checks (any key algorithm a gateway may use); node-forge reads the key
 * usage bits, which Node does not expose, where it can parse the certificate (RSA keys).
 */
import { X509Certificate } from 'node:crypto';
import type forge from 'node-forge';
import { nodeForge } from './forge';

export interface CertificateFacts {
  subject: string;
  subjectCn?: string;
  issuerCn?: string;
  dnsNames: string[];
  notBefore: Date;
  notAfter: Date;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  isCa: boolean;
  /** Key usage bits; undefined when the certificate has no key usage extension or forge cannot read it. */
  keyUsage?: string[];
  serverAuth: boolean;
  clientAuth: boolean;
  /** Whether the certificate has an extended key usage extension at all (none = any purpose). */
  hasEku: boolean;
  fingerprint256: string;
  serialNumber: string;
}

const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'] as const;

function cnOf(dn: string): string | undefined {
  return /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1];
}

export function inspectCertificate(pem: string, now: Date = new Date()): CertificateFacts {
  const x = new X509Certificate(pem);
  const dnsNames = (x.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  const eku = x.keyUsage ?? [];
  const notAfter = new Date(x.validTo);
  const facts: CertificateFacts = {
    subject: x.subject.replace(/\n/g, ', '),
    dnsNames,
    notBefore: new Date(x.validFrom),
    notAfter,
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
    isCa: x.ca,
    serverAuth: eku.length === 0 || eku.includes(OID_SERVER_AUTH),
    clientAuth: eku.length === 0 || eku.includes(OID_CLIENT_AUTH),
    hasEku: eku.length > 0,
    fingerprint256: x.fingerprint256,
    serialNumber: x.serialNumber,
  };
  const cn = cnOf(x.subject);
  if (cn !== undefined) facts.subjectCn = cn.toLowerCase();
  const issuerCn = cnOf(x.issuer);
  if (issuerCn !== undefined) facts.issuerCn = issuerCn;
  const ku = keyUsageOf(pem);
  if (ku) facts.keyUsage = ku;
  return facts;
}

function keyUsageOf(pem: string): string[] | undefined {
  try {
    const cert = nodeForge().pki.certificateFromPem(pem);
    const ext = cert.getExtension('keyUsage') as Record<string, unknown> | undefined;
    if (!ext) return undefined;
    return KEY_USAGE_BITS.filter((b) => ext[b] === true);
  } catch {
    return undefined; // not an RSA key: forge cannot parse it, Node has no key usage accessor
  }
}

/** Whether a DNS name matches a certificate name, with the one-label wildcard TLS clients accept. */
export function nameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  if (!p.startsWith('*.')) return false;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

export interface ChainVerdict {
  ok: boolean;
  /** One line: which link is missing or broken, or the path that verified. */
  detail: string;
}

/**
 * Whether `chain` (leaf first, as presented) leads to one of `roots`: each certificate is issued and signed by
 * the next one, and the last one is a root or is issued and signed by a root. Validity dates are checked too.
 */
export function verifyChain(chain: string[], roots: string[], now: Date = new Date()): ChainVerdict {
  if (chain.length === 0) return { ok: false, detail: 'no certificate was presented' };
  if (roots.length === 0) return { ok: false, detail: 'no root CA is configured to check against' };
  const certs = chain.map((p) => new X509Certificate(p));
  const anchors = roots.map((p) => new X509Certificate(p));
  const names: string[] = [];
  for (let i = 0; i < certs.length; i += 1) {
    const c = certs[i]!;
    names.push(cnOf(c.subject) ?? c.subject);
    if (new Date(c.validTo) < now || new Date(c.validFrom) > now) return { ok: false, detail: `${cnOf(c.subject) ?? c.subject} is outside its validity dates` };
    const anchor = anchors.find((a) => a.fingerprint256 === c.fingerprint256 || (c.checkIssued(a) && c.verify(a.publicKey)));
    if (anchor) {
      if (anchor.fingerprint256 !== c.fingerprint256) names.push(cnOf(anchor.subject) ?? anchor.subject);
      return { ok: true, detail: `chains to the configured root: ${names.join(' → ')}` };
    }
    const next = certs[i + 1];
    if (!next) break;
    if (!c.checkIssued(next) || !c.verify(next.publicKey)) return { ok: false, detail: `${names.at(-1)} is not signed by the next certificate presented (${cnOf(next.subject) ?? next.subject})` };
  }
  const last = certs.at(-1)!;
  return { ok: false, detail: `does not chain to the configured root: the chain ends at ${cnOf(last.subject) ?? last.subject}, issued by ${cnOf(last.issuer) ?? last.issuer}` };
}
