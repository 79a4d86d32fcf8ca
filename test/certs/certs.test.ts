/** Every certificate, CSR and PFX the project makes, read back and verified by OpenSSL. */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createKeyAndCsr, createLabRoot, exportRoot, importIssued, issueFromCsr, type CaMaterial, type KeyAndCsr } from '../../src/certs/authority';
import { tempDir } from '../support/temp-dirs';
import { requireTools } from '../network/peers';

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input ? { input } : {}) });
}

describe('certificates (node-forge), verified by OpenSSL', function () {
  this.timeout(30_000);
  let dir: string;
  let ca: CaMaterial;
  let gw: KeyAndCsr;
  let issued: string;
  const file = (name: string, content: string | Buffer): string => {
    const p = path.join(dir, name);
    fs.writeFileSync(p, content);
    return p;
  };

  before(async function () {
    requireTools(this, 'openssl');
    dir = tempDir('certs');
    [ca, gw] = await Promise.all([createLabRoot('Contoso CCE Root'), createKeyAndCsr('gw1.contoso.com')]);
    issued = issueFromCsr(gw.csrPem, ca);
  });

  it('cert request: a 2048-bit key and a SHA-256 CSR whose CN and DNS SAN are the gateway FQDN', () => {
    const text = openssl(['req', '-verify', '-in', file('gw1.csr', gw.csrPem), '-noout', '-text']);
    assert.match(text, /Subject: CN\s?=\s?gw1\.contoso\.com/);
    assert.match(text, /DNS:gw1\.contoso\.com/);
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    const check = spawnSync('openssl', ['req', '-verify', '-in', file('gw1b.csr', gw.csrPem), '-noout'], { encoding: 'utf8' });
    assert.match(check.stdout + check.stderr, /verify OK/);
    assert.match(openssl(['pkey', '-in', file('gw1.key', gw.keyPem), '-noout', '-text']), /Private-Key: \(2048 bit/);
  });

  it('cert root: the PEM and DER are the configured CA certificate, byte for byte', () => {
    const root = exportRoot(`some text before\n${ca.certPem}`);
    const der = execFileSync('openssl', ['x509', '-in', file('ca.pem', ca.certPem), '-outform', 'DER']);
    assert.ok(root.der.equals(der));
    assert.equal(openssl(['x509', '-inform', 'DER', '-in', file('ca.der', root.der), '-noout', '-subject']).trim(), 'subject=CN = Contoso CCE Root, O = Switchboard lab');
    assert.throws(() => exportRoot(issued), /not a CA/);
  });

  it('cert issue (lab): signed by the CA with SHA-256, serverAuth and clientAuth, and openssl verify accepts it', () => {
    const certFile = file('gw1.pem', issued);
    assert.equal(openssl(['verify', '-CAfile', file('ca2.pem', ca.certPem), certFile]).trim(), `${certFile}: OK`);
    const text = openssl(['x509', '-in', certFile, '-noout', '-text']);
    assert.match(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    assert.match(text, /DNS:gw1\.contoso\.com/);
    assert.match(text, /Signature Algorithm: sha256WithRSAEncryption/);
    assert.match(text, /CA:FALSE/);
    assert.equal(spawnSync('openssl', ['verify', '-purpose', 'sslclient', '-CAfile', path.join(dir, 'ca2.pem'), certFile]).status, 0);
  });

  it('cert issue refuses a CSR whose signature does not verify', () => {
    const der = Buffer.from(gw.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 5] = der[der.length - 5]! ^ 1;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    assert.throws(() => issueFromCsr(tampered, ca), /the CSR signature does not verify/);
  });

  it('cert import: every check passes and the PFX opens in OpenSSL with the password, holding the key and the chain', async () => {
    const result = await importIssued({ fqdn: 'gw1.contoso.com', issuedPem: issued, keyPem: gw.keyPem, caPem: ca.certPem, password: 'Correct-Horse-9' });
    assert.deepEqual(result.items.map((i) => `${i.check}: ${i.status}`), ['matches the key: pass', 'subject CN: pass', 'DNS SAN: pass', 'chain: pass', 'validity: pass', 'key usage for MTLS: pass']);
    assert.ok(result.pfx);
    const pfx = file('gw1.pfx', result.pfx);
    const out = openssl(['pkcs12', '-in', pfx, '-passin', 'pass:Correct-Horse-9', '-nodes']);
    assert.equal((out.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
    assert.match(out, /subject=CN\s?=\s?gw1\.contoso\.com/);
    assert.match(out, /BEGIN PRIVATE KEY/);
    const keyFromPfx = file('from-pfx.key', out.slice(out.indexOf('-----BEGIN PRIVATE KEY-----'), out.indexOf('-----END PRIVATE KEY-----') + 25));
    const mod = (args: string[]) => openssl(args).trim();
    assert.equal(mod(['rsa', '-in', keyFromPfx, '-noout', '-modulus']), mod(['x509', '-in', path.join(dir, 'gw1.pem'), '-noout', '-modulus']));
    assert.notEqual(spawnSync('openssl', ['pkcs12', '-in', pfx, '-passin', 'pass:wrong', '-nodes', '-noout']).status, 0);
  });

  it('cert import refuses a certificate for another key, another name, another CA, or past its dates, and makes no PFX', async () => {
    const other = await createKeyAndCsr('gw2.contoso.com');
    const rogue = await createLabRoot('Rogue Root');
    const cases: Array<[string, Parameters<typeof importIssued>[0]]> = [
      ['matches the key', { fqdn: 'gw1.contoso.com', issuedPem: issued, keyPem: other.keyPem, caPem: ca.certPem, password: 'x' }],
      ['subject CN', { fqdn: 'gw2.contoso.com', issuedPem: issueFromCsr(gw.csrPem, ca), keyPem: gw.keyPem, caPem: ca.certPem, password: 'x' }],
      ['chain', { fqdn: 'gw1.contoso.com', issuedPem: issueFromCsr(gw.csrPem, rogue), keyPem: gw.keyPem, caPem: ca.certPem, password: 'x' }],
      ['validity', { fqdn: 'gw1.contoso.com', issuedPem: issued, keyPem: gw.keyPem, caPem: ca.certPem, password: 'x', now: new Date(Date.now() + 400 * 86_400_000) }],
      ['certificate', { fqdn: 'gw1.contoso.com', issuedPem: 'hello', keyPem: gw.keyPem, caPem: ca.certPem, password: 'x' }],
    ];
    for (const [check, input] of cases) {
      const r = await importIssued(input);
      assert.equal(r.items.find((i) => i.check === check)?.status, 'fail', `${check}: ${JSON.stringify(r.items)}`);
      assert.equal(r.pfx, undefined, check);
    }
  });

  it('key generation, CSR and PFX do not hold the event loop: a 10 ms timer keeps ticking', async () => {
    const worstGap = async (work: () => Promise<unknown>): Promise<{ worst: number; ms: number }> => {
      let worst = 0;
      let last = performance.now();
      const timer = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last);
        last = now;
      }, 10);
      const started = performance.now();
      try {
        await work();
      } finally {
        clearInterval(timer);
      }
      return { worst: Math.max(worst, performance.now() - last), ms: performance.now() - started };
    };
    // Four keys at once, as a bulk of gateways would ask: made off the loop they overlap; held on it they add up.
    const ours = await worstGap(async () => {
      const made = await Promise.all(['a', 'b', 'c', 'd'].map((name) => createKeyAndCsr(`${name}.contoso.com`)));
      await importIssued({ fqdn: 'a.contoso.com', issuedPem: issueFromCsr(made[0]!.csrPem, ca), keyPem: made[0]!.keyPem, caPem: ca.certPem, password: 'p' });
    });
    // The same four keys made synchronously, on the same machine at the same moment: what holding the loop looks like.
    const held = await worstGap(async () => {
      for (let i = 0; i < 4; i++) generateKeyPairSync('rsa', { modulusLength: 2048 });
    });
    // What the timer was late by, beyond its own 10 ms period.
    const late = (gap: number): number => Math.max(0, gap - 10);
    assert.ok(late(ours.worst) < late(held.worst) / 2, `the event loop was held ${late(ours.worst).toFixed(0)} ms with ours, ${late(held.worst).toFixed(0)} ms with four synchronous keys`);
  });
});
