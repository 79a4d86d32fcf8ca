/**
 * RSA keys from Node's native crypto, asynchronously (the work runs on libuv's thread pool, so no other
 * user's turn waits on it), then handed to node-forge for CSRs, certificates and PKCS#12.
 */
import { generateKeyPair, createPublicKey, sign as nativeSign, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import type forge from 'node-forge';
import { nodeForge } from './forge';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface RsaKey {
  /** PKCS#8 PEM: what is stored (encrypted) and what goes into the PFX. */
  keyPem: string;
  /** Only the public half is parsed by forge (for the CSR); every private-key operation is native. */
  publicKey: forge.pki.rsa.PublicKey;
}

export async function generateRsaKey(bits = 2048): Promise<RsaKey> {
  const { privateKey: keyPem, publicKey: publicPem } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { keyPem, publicKey: nodeForge().pki.publicKeyFromPem(publicPem) as forge.pki.rsa.PublicKey };
}

/** Whether a certificate carries the public half of this private key (compared as SPKI DER, any algorithm). */
export function certificateMatchesKey(certPem: string, keyPem: string): boolean {
  const fromCert = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  const fromKey = createPublicKey(keyPem).export({ type: 'spki', format: 'der' });
  return fromCert.equals(fromKey);
}

export function sha256(): forge.md.MessageDigest {
  return nodeForge().md.sha256.create();
}

/**
 * A signer for forge's `sign(key, md)` that signs with Node's native RSA: forge's own signing is pure
 * JavaScript and holds the event loop for tens of milliseconds per signature. The "digest" only collects
 * the bytes forge asks to sign (the DER of the CSR or TBS certificate); Node hashes them with SHA-256.
 */
export function nativeSha256Signer(keyPem: string): { key: forge.pki.rsa.PrivateKey; md: forge.md.MessageDigest } {
  let data = '';
  const md = { algorithm: 'sha256', update: (bytes: string) => ((data += bytes), md) } as unknown as forge.md.MessageDigest;
  const key = { sign: () => nativeSign('sha256', Buffer.from(data, 'binary'), keyPem).toString('binary') } as unknown as forge.pki.rsa.PrivateKey;
  return { key, md };
}
