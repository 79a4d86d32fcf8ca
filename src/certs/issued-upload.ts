/**
 * The issued certificate in whatever form a CA hands it back, as PEM with the gateway's certificate first.
 * A Windows CA's web enrollment offers "DER encoded" or "Base 64 encoded", and "Download certificate" or
 * "Download certificate chain" (PKCS #7, .p7b); certreq writes a .cer in Base-64; admins also paste only the
 * Base-64 body. All of these are read here; anything else gets one line saying what is wanted.
 */
import { X509Certificate } from 'node:crypto';
import type forge from 'node-forge';
import { nodeForge } from './forge';

export type IssuedUpload = { pem: string; certificates: number } | { reason: string };

const wanted = 'paste the issued certificate (Base-64, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----), or attach the .cer (Base-64 or DER) or the .p7b chain';

/** Base-64 as pasted: Teams and the grammar fold or drop line breaks, so only the alphabet is kept. */
function base64Body(text: string): Buffer | undefined {
  const body = text.replace(/\s+/g, '');
  if (body.length < 16 || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
  return Buffer.from(body, 'base64');
}

function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** The certificates of a PKCS #7 SignedData (ContentInfo → [0] SignedData → [0] IMPLICIT certificates), as DER. */
function pkcs7Certificates(der: Buffer): Buffer[] | undefined {
  const { asn1, pki, util } = nodeForge();
  try {
    const info = asn1.fromDer(util.createBuffer(der.toString('binary')));
    const [oid, explicit] = info.value as forge.asn1.Asn1[];
    if (!oid || asn1.derToOid(oid.value as string) !== pki.oids.signedData) return undefined;
    const signedData = (explicit?.value as forge.asn1.Asn1[] | undefined)?.[0];
    const certificates = (signedData?.value as forge.asn1.Asn1[] | undefined)?.find((part) => part.tagClass === asn1.Class.CONTEXT_SPECIFIC && part.type === 0);
    if (!certificates) return [];
    return (certificates.value as forge.asn1.Asn1[]).map((c) => Buffer.from(asn1.toDer(c).getBytes(), 'binary'));
  } catch {
    return undefined;
  }
}

function asCertificates(ders: Buffer[] | undefined): X509Certificate[] | undefined {
  try {
    return ders?.map((c) => new X509Certificate(c));
  } catch {
    return undefined;
  }
}

/** DER bytes as certificates: one certificate, or the chain of a .p7b. */
function fromDer(der: Buffer): X509Certificate[] | undefined {
  try {
    return [new X509Certificate(der)];
  } catch {
    return asCertificates(pkcs7Certificates(der));
  }
}

/**
 * The certificate that issued none of the others first (the gateway's, in a chain), then the rest as given:
 * a .p7b lists them in no promised order, and the import checks the first one against the held key.
 */
function leafFirst(certificates: X509Certificate[]): X509Certificate[] {
  const issuesAnother = (c: X509Certificate) => certificates.some((o) => o !== c && o.checkIssued(c));
  const leaf = certificates.find((c) => !c.ca && !issuesAnother(c)) ?? certificates.find((c) => !issuesAnother(c)) ?? certificates[0];
  return leaf ? [leaf, ...certificates.filter((c) => c !== leaf)] : [];
}

/** Reads pasted or attached text (PEM blocks, a PKCS #7 in PEM, or the Base-64 of DER) into PEM, leaf first. */
export function readIssuedUpload(text: string): IssuedUpload {
  const certificates: X509Certificate[] = [];
  const armoured = [...text.matchAll(/-----BEGIN (CERTIFICATE|PKCS7)-----([\s\S]*?)-----END \1-----/g)];
  for (const [, label, body] of armoured) {
    const der = base64Body(body ?? '');
    const read = der && (label === 'PKCS7' ? asCertificates(pkcs7Certificates(der)) : fromDer(der));
    if (!read) return { reason: `A ${label === 'PKCS7' ? 'PKCS #7' : 'certificate'} block there is not readable: ${wanted}.` };
    certificates.push(...read);
  }
  if (armoured.length === 0) {
    const der = base64Body(text);
    const read = der ? fromDer(der) : undefined;
    if (!read) return { reason: `No certificate there: ${wanted}.` };
    certificates.push(...read);
  }
  if (certificates.length === 0) return { reason: `That PKCS #7 file holds no certificate: ${wanted}.` };
  return { pem: leafFirst(certificates).map((c) => toPem(c.raw)).join(''), certificates: certificates.length };
}
