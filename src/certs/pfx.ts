/**
 * PKCS#12 (RFC 7292) built with native crypto: forge's toPkcs12Asn1 runs PBKDF2, AES and the MAC key
 * derivation in JavaScript and held the event loop for 30-400 ms per PFX. Here the key bag is Node's
 * encrypted PKCS#8 (PBES2: PBKDF2-HMAC-SHA256, AES-256-CBC, as OpenSSL 3 writes it), the certificates are
 * plain cert bags, and the MAC is HMAC-SHA256 under the RFC 7292 appendix B key; forge only assembles ASN.1.
 */
import crypto, { createHash, createHmac, createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import type forge from 'node-forge';
import { nodeForge } from './forge';

const asn1 = (): typeof forge.asn1 => nodeForge().asn1;
const T = (): typeof forge.asn1.Type => asn1().Type;
const C = (): typeof forge.asn1.Class => asn1().Class;

const OID = {
  data: '1.2.840.113549.1.7.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  sha256: '2.16.840.1.101.3.4.2.1',
};
const ITERATIONS = 2048;

const bin = (b: Buffer): string => b.toString('binary');
const seq = (items: forge.asn1.Asn1[]) => asn1().create(C().UNIVERSAL, T().SEQUENCE, true, items);
const set = (items: forge.asn1.Asn1[]) => asn1().create(C().UNIVERSAL, T().SET, true, items);
const oid = (o: string) => asn1().create(C().UNIVERSAL, T().OID, false, asn1().oidToDer(o).getBytes());
const octets = (b: Buffer) => asn1().create(C().UNIVERSAL, T().OCTETSTRING, false, bin(b));
const explicit0 = (v: forge.asn1.Asn1) => asn1().create(C().CONTEXT_SPECIFIC, 0, true, [v]);
const der = (v: forge.asn1.Asn1): Buffer => Buffer.from(asn1().toDer(v).getBytes(), 'binary');
const fromDer = (b: Buffer): forge.asn1.Asn1 => asn1().fromDer(bin(b));
const integer = (n: number) => asn1().create(C().UNIVERSAL, T().INTEGER, false, asn1().integerToDer(n).getBytes());

/** UTF-16BE, as ASN.1 BMPString holds text. */
function bmp(text: string): Buffer {
  const b = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i += 1) b.writeUInt16BE(text.charCodeAt(i), i * 2);
  return b;
}

/** Repeats `b` up to the next multiple of `v` bytes (RFC 7292 B.2 steps 2-3). */
function fill(b: Buffer, v: number): Buffer {
  const out = Buffer.alloc(v * Math.ceil(b.length / v));
  for (let i = 0; i < out.length; i += 1) out[i] = b[i % b.length]!;
  return out;
}

/**
 * RFC 7292 B.2 with SHA-256 (u = 32, v = 64), ID 3 (MAC key); one block is all a 32-byte key needs.
 * 2048 chained hashes take a few ms, up to 40 on a busy host, so the loop yields to the event loop every 64.
 */
async function macKey(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const v = 64;
  // The password is a BMPString with its two terminating zero bytes (B.1).
  const I = Buffer.concat([fill(salt, v), fill(Buffer.concat([bmp(password), Buffer.alloc(2)]), v)]);
  let a = createHash('sha256').update(Buffer.alloc(v, 3)).update(I).digest();
  // crypto.hash (Node 20.12+) is one native call with no Hash object: a tenth of the time and no garbage.
  const sha256 = typeof crypto.hash === 'function' ? (b: Buffer) => crypto.hash('sha256', b, 'buffer') : (b: Buffer) => createHash('sha256').update(b).digest();
  for (let i = 1; i < iterations; i += 1) {
    a = sha256(a);
    if (i % 64 === 0) await new Promise((r) => setImmediate(r));
  }
  return a;
}

function attributes(friendlyName: string, localKeyId: Buffer): forge.asn1.Asn1 {
  return set([
    seq([oid(OID.friendlyName), set([asn1().create(C().UNIVERSAL, T().BMPSTRING, false, bin(bmp(friendlyName)))])]),
    seq([oid(OID.localKeyId), set([octets(localKeyId)])]),
  ]);
}

const dataInfo = (content: Buffer) => seq([oid(OID.data), explicit0(octets(content))]);

/** A password-protected PFX with the key and the chain (leaf first). */
export async function buildPfx(args: { keyPem: string; chainPem: string[]; password: string; friendlyName: string }): Promise<Buffer> {
  const [leafPem, ...rest] = args.chainPem;
  if (!leafPem) throw new Error('a PFX needs a certificate');
  const leaf = new X509Certificate(leafPem);
  const localKeyId = createHash('sha1').update(leaf.raw).digest();
  const encryptedKey = createPrivateKey(args.keyPem).export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: args.password });
  const keyBag = seq([oid(OID.shroudedKeyBag), explicit0(fromDer(encryptedKey)), attributes(args.friendlyName, localKeyId)]);
  const certBag = (pem: string, attrs?: forge.asn1.Asn1) => seq([oid(OID.certBag), explicit0(seq([oid(OID.x509Certificate), explicit0(octets(new X509Certificate(pem).raw))])), ...(attrs ? [attrs] : [])]);
  const certs = seq([certBag(leafPem, attributes(args.friendlyName, localKeyId)), ...rest.map((p) => certBag(p))]);
  const authSafe = der(seq([dataInfo(der(certs)), dataInfo(der(seq([keyBag])))]));
  const salt = randomBytes(16);
  const mac = createHmac('sha256', await macKey(args.password, salt, ITERATIONS)).update(authSafe).digest();
  const macData = seq([seq([seq([oid(OID.sha256), asn1().create(C().UNIVERSAL, T().NULL, false, '')]), octets(mac)]), octets(salt), integer(ITERATIONS)]);
  return der(seq([integer(3), dataInfo(authSafe), macData]));
}
